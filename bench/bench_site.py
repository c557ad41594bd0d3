#!/usr/bin/env python3
"""Benchmark the static site: pages per second cold, and the rebuild after editing one note.

Usage: python bench/bench_site.py [N ...]      (default: 1000 10000)

For each N it uses the synthetic vault bench/vaults/vault-N (made by bench/make_vault.py when
missing), read without the claims stage (as `kg build --no-search`: the knowledge stage of a
10k-note vault is benchmarked elsewhere and is not the site's cost). It prints:
- cold: every page drawn and written into an empty folder, then the Pagefind index;
- edit: one note changed (a sentence added to a paragraph that links other notes), then the
  incremental build (parse, links) and the site rebuild, then Pagefind again;
- the same edit through the command line, `kg build --no-search`, as a user runs it.
Pages per second count the pages written over the site stage's own time (gather, plan, draw,
write), and separately over that time plus Pagefind's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kg.build import build  # noqa: E402
from kg.config import load_settings  # noqa: E402
from kg.publish import publish_vault  # noqa: E402
from kg.publish.writer import update_search  # noqa: E402


def vault_of(n: int) -> Path:
    vault = HERE / "vaults" / f"vault-{n}"
    if not (vault / "notes").is_dir():
        subprocess.run([sys.executable, str(HERE / "make_vault.py"), str(n)], check=True)
    return vault


def edit_one_note(vault: Path) -> tuple[Path, str]:
    """Add a sentence to the first paragraph of a note that links others; returns (path, old text)."""
    for note in sorted((vault / "notes").rglob("*.md"))[100:]:
        text = note.read_text(encoding="utf-8")
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if "[[" in line and not line.startswith(("#", "-", ">", "|")):
                lines[i] = line + " An added sentence, to time the rebuild."
                note.write_text("\n".join(lines), encoding="utf-8")
                return note, text
    raise SystemExit("no note with a linking paragraph")


def run(n: int) -> None:
    vault = vault_of(n)
    settings = load_settings(vault)
    build(vault, settings)  # parse cache warm: the site is what is measured
    with tempfile.TemporaryDirectory(prefix="kg-bench-site-") as tmp:
        cache, out = Path(tmp) / "cache", Path(tmp) / "site"
        started = time.perf_counter()
        kb = build(vault, settings)
        cold = publish_vault(kb, settings, cache, out=out, search=False)
        site_seconds = time.perf_counter() - started - kb.stats["seconds"]
        t = time.perf_counter()
        problem = update_search(out, cache)
        pagefind_cold = time.perf_counter() - t
        pages = cold["written"]
        size = sum(p.stat().st_size for p in out.rglob("*.html") if "pagefind" not in p.parts)
        print(f"\nvault-{n}: {len(kb.notes)} notes, {len(kb.sources)} sources -> {cold['pages']} pages "
              f"({size / 1e6:.0f} MB of HTML)")
        print(f"  cold   site stage {site_seconds:6.1f} s  = {pages / site_seconds:5.0f} pages/s  "
              f"(plan {cold['plan_seconds']:.1f} s, draw+write {cold['draw_seconds']:.1f} s)")
        print(f"         Pagefind   {pagefind_cold:6.1f} s; with it {pages / (site_seconds + pagefind_cold):5.0f} pages/s"
              + (f"  [{problem}]" if problem else ""))
        note, old = edit_one_note(vault)
        try:
            t = time.perf_counter()
            kb = build(vault, settings)
            parsed = time.perf_counter() - t
            again = publish_vault(kb, settings, cache, out=out, search=False)
            rebuild = time.perf_counter() - t
            t = time.perf_counter()
            update_search(out, cache)
            pagefind_edit = time.perf_counter() - t
            print(f"  edit   rebuild    {rebuild:6.2f} s  (build {parsed:.2f} s, site {again['seconds']:.2f} s: "
                  f"{again['drawn']} pages drawn, {again['written']} written; incremental={again['incremental']})")
            print(f"         Pagefind   {pagefind_edit:6.1f} s (the shards that hold the pages written)")
        finally:
            note.write_text(old, encoding="utf-8")
        # as a user runs it: one process, the vault's own .kg and site/, after the same kind of edit
        kg = Path(sys.executable).parent / "kg"
        subprocess.run([str(kg), "--vault", str(vault), "build", "--no-search", "--json"], check=True,
                       capture_output=True)
        note, old = edit_one_note(vault)
        try:
            t = time.perf_counter()
            done = subprocess.run([str(kg), "--vault", str(vault), "build", "--no-search", "--json"], check=True,
                                  capture_output=True, text=True)
            wall = time.perf_counter() - t
            site = json.loads(done.stdout)["site"]
            print(f"  edit   `kg build --no-search` {wall:5.2f} s wall (site {site['seconds']:.2f} s of it, "
                  f"Pagefind {site['search_seconds']:.2f} s)")
        finally:
            note.write_text(old, encoding="utf-8")
            shutil.rmtree(vault / "site", ignore_errors=True)


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1000", "10000"]:
        run(int(arg))
