"""How long the demo site's pages are, as a reader scrolls them: height in CSS pixels at a desktop
width (1280 px) and a phone width (390 px), in Debian's chromium, with a screenshot of each.

Usage: python bench/page_heights.py [--site DIR] [--shots DIR] [PAGE ...]

--site: a built site (default: build the repository's demo vault into a temporary folder, with its
own cache). --shots: where to save the screenshots (default: a temporary folder, printed).
PAGE: paths inside the site (default: a concept, a source, the claims and the tensions pages).
Prints one line per page and width; the issue's goal is under 4,000 px on a desktop.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["concepts/quality-gap.html", "sources/open-weight-cascade.html", "claims.html", "tensions.html"]
WIDTHS = (1280, 390)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kg-heights-"))
    site = args.site
    if site is None:
        site = work / "site"
        subprocess.run([str(Path(sys.executable).with_name("kg")), "--vault", str(ROOT), "build", "--site-dir",
                        str(site)], check=True, capture_output=True, env={**os.environ, "KG_CACHE_DIR": str(work / "cache")})
    shots = args.shots or work / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name in args.pages:
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/{name}")
                height = page.evaluate("document.documentElement.scrollHeight")
                shot = shots / f"{name.replace('/', '_').removesuffix('.html')}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                goal = f"  (goal < 4,000: {'met' if height < 4000 else 'missed'})" if width == 1280 else ""
                print(f"{width:>5} px wide  {height:>6,} px tall  {name}{goal}")
            page.close()
        browser.close()
    server.shutdown()
    print(f"screenshots in {shots}")


if __name__ == "__main__":
    main()
