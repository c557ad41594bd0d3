# Two entry points, both safe on a fresh machine (Python 3.11+ and pip):
#   make demo   set up .venv, install kg, build the demo vault in this repository into site/
#   make test   set up .venv, install kg with its test tools, run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first, from the local wheel: otherwise pip pulls gigabytes of CUDA
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/kg build
	$(VENV)/bin/kg check --severity warning

# the site's browser tests drive Debian's chromium (Playwright cannot download a browser here)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }

test: setup $(CHROMIUM)
	$(VENV)/bin/pytest -n 2 -p no:cacheprovider

bench: setup
	$(PY) bench/bench_build.py 1000

clean:
	rm -rf .kg site
