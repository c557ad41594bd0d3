#!/usr/bin/env python3
"""How long `kg serve` takes from a save to the reload of the open page, on the demo vault.

Usage: python bench/bench_serve.py [ROUNDS]     (default 8)

Copies the repository's demo vault (notes/, sources/, kg.toml) to a temporary folder, starts
`kg serve` on it (claims, evidence and tensions included), listens to the page's reload events
as a browser does, then ROUNDS times appends a claim to a note and times the wait for the
reload event. Prints each wait, the median and the worst.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_demo(folder: Path) -> Path:
    """A copy of the repository's demo vault (notes/, sources/, kg.toml) in folder/demo."""
    vault = folder / "demo"
    vault.mkdir()
    for part in ("notes", "sources", "kg.toml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, vault / part)
    return vault


def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kg-bench-serve-") as tmp:
        vault = copy_demo(Path(tmp))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        kg = Path(sys.executable).parent / "kg"
        started = time.perf_counter()
        proc = subprocess.Popen([str(kg), "--vault", str(vault), "serve", "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = proc.stdout.readline()
            if "http://" not in line:
                raise SystemExit(line + proc.stdout.read())
            print(f"first build and serve: {time.perf_counter() - started:.1f} s")
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            note = vault / "notes" / "concepts" / "quality-gap.md"
            text = note.read_text(encoding="utf-8")
            time.sleep(1.0)  # let the watcher start
            waits = []
            for n in range(rounds):
                events = urllib.request.urlopen(f"http://127.0.0.1:{port}/_kg/events", timeout=30)
                events.readline()
                heard = threading.Event()
                threading.Thread(target=lambda e=events, h=heard: (e.readline(), e.readline(), h.set()),
                                 daemon=True).start()
                text = text.replace("## Evidence", f"- A claim saved in round {n}, about {n + 2}% of it.\n\n"
                                                          "## Evidence", 1)
                t = time.perf_counter()
                note.write_text(text, encoding="utf-8")
                if not heard.wait(30):
                    raise SystemExit("no reload within 30 s")
                waits.append(time.perf_counter() - t)
                print(f"  save {n + 1}: reload after {waits[-1]:.2f} s")
                time.sleep(1.5)  # the search index is refreshed after the reload; let it finish
            print(f"median {statistics.median(waits):.2f} s, worst {max(waits):.2f} s over {rounds} saves")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
