"""Time `kg check --no-claims` (files and links, no embedding) on a synthetic vault: cold,
unchanged rerun, rerun after editing one note.

Usage: python bench/bench_build.py N [--vault DIR]

Makes the vault with bench/make_vault.py when it does not exist yet (bench/vaults/vault-N),
then runs the real `kg` command in a fresh process for each measurement, as a user would.
Prints one line per measurement: seconds, files parsed, peak memory of the process tree.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KG = Path(sys.executable).with_name("kg")


def run_kg(vault: Path, *args: str) -> tuple[float, str, str]:
    """Run kg in a fresh process; (seconds, stdout, stderr)."""
    started = time.perf_counter()
    done = subprocess.run([str(KG), "--vault", str(vault), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"kg failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.stdout, done.stderr


def check(vault: Path) -> tuple[float, str]:
    """Time `kg check`; return the seconds and how many files it parsed (from its summary)."""
    seconds, _, err = run_kg(vault, "check", "--no-claims")
    m = re.search(r"\((\d+) parsed", err)
    return seconds, m.group(1) if m else "?"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of notes")
    parser.add_argument("--vault", type=Path, help="vault folder (default bench/vaults/vault-N)")
    args = parser.parse_args()
    vault = args.vault or HERE / "vaults" / f"vault-{args.n}"
    if not (vault / "notes").is_dir():
        subprocess.run([sys.executable, str(HERE / "make_vault.py"), str(args.n), "--out", str(vault)], check=True)
    shutil.rmtree(vault / ".kg", ignore_errors=True)

    cold, parsed = check(vault)
    summary = json.loads(run_kg(vault, "build", "--json")[1])
    print(f"vault: {summary['notes']} notes, {summary['sources']} sources, {summary['links']} links, "
          f"{summary['concepts']} concepts")
    print(f"cold kg check:            {cold:6.2f} s   (parsed {parsed} files)")
    warm, parsed = check(vault)
    print(f"rerun, nothing changed:   {warm:6.2f} s   (parsed {parsed})")
    note = sorted((vault / "notes").rglob("*.md"))[len(summary) % 7]
    original = note.read_bytes()
    try:
        note.write_bytes(original + b"\n\nOne more line with [[a-new-link]] and #a-new-tag.\n")
        edited, parsed = check(vault)
    finally:
        note.write_bytes(original)
    print(f"rerun after editing one:  {edited:6.2f} s   (parsed {parsed})")
    print(f"peak memory (largest process): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
