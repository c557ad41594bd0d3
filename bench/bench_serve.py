#!/usr/bin/env python3
"""How long `kg serve` takes from a save to the reload of the open page, on the demo vault.

Usage: python bench/bench_serve.py [ROUNDS]     (default 8)

Copies the repository's demo vault (notes/, sources/, kg.toml) to a temporary folder, starts
`kg serve` on it (claims, evidence and tensions included), listens to the page's reload events
as a browser does, then ROUNDS times appends a claim to a note and times the wait for the
reload event: the page with the saved text. kg serve then brings evidence and tensions up to
date and reloads the page again when the save changed any claim; that second wait is timed too
(from kg's own line "evidence and tensions brought up to date"). Prints each wait, the medians
and the worst.
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


def wait_for(said: list[str], words: str, seen: int, timeout: float = 120) -> str:
    """The (seen+1)-th line of kg serve's output holding `words`, once it is printed."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        found = [x for x in list(said) if words in x]
        if len(found) > seen:
            return found[seen]
        time.sleep(0.02)
    raise SystemExit(f"kg serve did not say {words.strip()!r} within {timeout:.0f} s")


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
            said: list[str] = []
            threading.Thread(target=lambda: [said.append(x) for x in proc.stdout], daemon=True).start()
            note = vault / "notes" / "concepts" / "quality-gap.md"
            text = note.read_text(encoding="utf-8")
            time.sleep(1.0)  # let the watcher start
            waits, analysed = [], []
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
                line = wait_for(said, " rebuilt after ", n)
                if "follow" in line:  # a second reload once evidence and tensions are up to date
                    done = wait_for(said, " brought up to date in ", len(analysed))
                    analysed.append(time.perf_counter() - t)
                    print(f"  save {n + 1}: reload after {waits[-1]:.2f} s; evidence and tensions after "
                          f"{analysed[-1]:.2f} s (kg: {done.split(' in ', 1)[1].split(' s')[0]} s)")
                else:
                    print(f"  save {n + 1}: reload after {waits[-1]:.2f} s")
                time.sleep(1.5)  # the search index is refreshed after the reload; let it finish
            print(f"page: median {statistics.median(waits):.2f} s, worst {max(waits):.2f} s over {rounds} saves")
            if analysed:
                print(f"evidence and tensions: median {statistics.median(analysed):.2f} s, worst {max(analysed):.2f} s "
                      f"over {len(analysed)} saves")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
