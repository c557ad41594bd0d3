#!/usr/bin/env python3
"""Time `kg build` on hostile inputs: text that once made parsing or claim finding super-linear.

Usage: python bench/bench_hostile.py [--only NAME ...] [--scale 1.0] [--timeout 600]
                                     [--no-full] [--no-read-only] [--site] [--json]

Each input is written into a fresh temporary vault (kg.toml, notes/target.md and the input as
notes/hostile.md, sources/hostile.html or sources/hostile.txt), then the real `kg build --json
--no-site` runs on it in a fresh process, twice with a cold cache:
- full: read -> claims -> search index -> knowledge (the claims stage is where quantities are found);
- read only (`--no-search`): read, so the parse alone is seen without embedding.
It prints the wall seconds and the seconds of each stage from kg's `stages` object.

The inputs (1 MB each unless said; --scale multiplies every size):
- `[[`, `![[`, `[a:: `: the opener repeated, then a real `[[target]]` in the same paragraph;
- `a!`, ` ^a`: repeated;
- `1 % ` repeated 25,000 times (100 KB, the reported case) and to 1 MB;
- a paragraph of 2,000 wikilinks and one of 20,000;
- an HTML page of several MB (many paragraphs) as a source;
- a hard-wrapped 1 MB text source (every line continues the sentence of the one before).

A run that passes --timeout prints `>N`. It is a benchmark, not a test: tests/test_hostile.py
checks the same inputs for linear growth.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

KG = Path(sys.executable).with_name("kg")
MB = 1 << 20


def repeat(unit: str, size: int, tail: str = "") -> str:
    return unit * max(1, size // len(unit)) + tail


def links(n: int) -> str:
    return "Links: " + " ".join(f"[[note {i}]]" for i in range(n)) + " and [[target]].\n"


def html_page(size: int) -> str:
    """A long article: numbered paragraphs with a little inline markup, one per line."""
    head = ("<!doctype html><html><head><title>A Long Page</title>"
            '<meta name="author" content="Sam Writer"></head><body><article><h1>A Long Page</h1>\n')
    parts, total, i = [head], len(head), 0
    while total < size:
        p = (f"<p>Paragraph {i} says that open model number {i} scored {i % 97} points, "
             f"about <b>{i % 13}%</b> above the closed baseline measured in run {i * 7}.</p>\n")
        parts.append(p)
        total += len(p)
        i += 1
    parts.append("</article></body></html>\n")
    return "".join(parts)


def letters(n: int) -> str:
    """A number written as lower-case letters (`a`, `b`, ..., `ba`): a word no number reader sees."""
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out = chr(97 + digit) + out
        if not n:
            return out


def wrapped_text(size: int) -> str:
    """A text source hard-wrapped at about 60 columns with no sentence end: one paragraph of many
    lines, each different (a repeated line would be dropped as a repeat and end the paragraph)."""
    lines, total, i = ["A Wrapped Source", ""], 0, 0
    while total < size:
        text = f"line {letters(i)} of the open model that scored higher than the closed one on"
        lines.append(text)
        total += len(text) + 1
        i += 1
    return "\n".join(lines) + " every benchmark.\n"


# name -> (path in the vault, content of a given size in bytes)
INPUTS: dict[str, tuple[str, Callable[[int], str]]] = {
    "[[ x 1MB": ("notes/hostile.md", lambda s: repeat("[[", s, " [[target]]\n")),
    "![[ x 1MB": ("notes/hostile.md", lambda s: repeat("![[", s, " ![[target]]\n")),
    "[a:: x 1MB": ("notes/hostile.md", lambda s: repeat("[a:: ", s, " [[target]]\n")),
    "a! x 1MB": ("notes/hostile.md", lambda s: repeat("a!", s, "\n")),
    "' ^a' x 1MB": ("notes/hostile.md", lambda s: repeat(" ^a", s, "\n")),
    "'1 % ' x 25000": ("notes/hostile.md", lambda s: repeat("1 % ", s // 10, "\n")),
    "'1 % ' x 1MB": ("notes/hostile.md", lambda s: repeat("1 % ", s, "\n")),
    "2,000 links": ("notes/hostile.md", lambda s: links(max(1, round(2000 * s / MB)))),
    "20,000 links": ("notes/hostile.md", lambda s: links(max(1, round(20000 * s / MB)))),
    "html 4.5MB": ("sources/hostile.html", lambda s: html_page(int(s * 4.5))),
    "wrapped txt 1MB": ("sources/hostile.txt", wrapped_text),
}


def make_vault(folder: Path, path: str, text: str) -> None:
    (folder / "notes").mkdir(parents=True)
    (folder / "sources").mkdir()
    (folder / "kg.toml").write_text('[vault]\nnotes = "notes"\nsources = "sources"\n')
    (folder / "notes" / "target.md").write_text("# Target\n\nThe target note.\n")
    (folder / path).write_text(text, encoding="utf-8")


def run_build(vault: Path, timeout: float, *flags: str) -> tuple[float | None, dict]:
    """Seconds of one cold `kg build --json` (None past the timeout) and its stages."""
    shutil.rmtree(vault / ".kg", ignore_errors=True)
    started = time.perf_counter()
    try:
        done = subprocess.run([str(KG), "--vault", str(vault), "build", "--json", *flags],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, {}
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"kg failed ({done.returncode}) on {vault}: {done.stderr.strip()[-2000:]}")
    return seconds, json.loads(done.stdout).get("stages", {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names (or parts of names) of the inputs to run")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every input size (default 1)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a build is given up")
    parser.add_argument("--no-full", action="store_true", help="skip the full build (claims, search index)")
    parser.add_argument("--no-read-only", action="store_true", help="skip the --no-search build")
    parser.add_argument("--site", action="store_true", help="write the site too (the publish stage)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args()

    variants = []
    if not args.no_full:
        variants.append(("full", []))
    if not args.no_read_only:
        variants.append(("read only", ["--no-search"]))
    site = [] if args.site else ["--no-site"]
    stages = ["read", "claims", "index", "knowledge"] + (["publish"] if args.site else [])
    rows = []
    if not args.json:
        print(f"{'input':<17} {'size':>8}  {'variant':<9} {'wall s':>8}  " + "".join(f"{s:>10}" for s in stages))
    for name, (path, make) in INPUTS.items():
        if args.only and not any(o in name for o in args.only):
            continue
        text = make(int(MB * args.scale))
        with tempfile.TemporaryDirectory(prefix="kg-hostile-") as tmp:
            vault = Path(tmp) / "vault"
            make_vault(vault, path, text)
            for variant, flags in variants:
                seconds, got = run_build(vault, args.timeout, *flags, *site)
                rows.append({"input": name, "bytes": len(text.encode()), "variant": variant,
                             "seconds": seconds, "stages": got})
                if not args.json:
                    wall = f"{seconds:8.2f}" if seconds is not None else f"{'>' + str(int(args.timeout)):>8}"
                    cells = "".join(f"{got[s]:10.2f}" if s in got else f"{'-':>10}" for s in stages)
                    print(f"{name:<17} {len(text.encode()) / MB:7.2f}M  {variant:<9} {wall}  {cells}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
