#!/usr/bin/env python3
"""Time the commands that read a whole built vault, each in a fresh process, with its peak memory.

Usage: python bench/bench_commands.py [--vault PATH] [--json]
       (default: bench/vaults/scale-10000, the vault of bench/bench_scale.py; build it first)

The vault is brought up to date with `kg build` (not timed here: bench_scale.py times builds);
then each command runs once, its output read and thrown away as a script piping it would:
the claims listings (text, with evidence, JSON, filtered), the tensions, one concept, the check,
the sources, the linked-data export, the graph, and `kg query` twice: first after its store in
.kg/ is removed (it loads the vault's triples again, as after any change), then again (the store
is kept). For each: seconds, peak memory (the largest process, and the tree's PSS sampled) and
how much it printed.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import kg_command, kg_env, measure  # noqa: E402

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def run(args: list[str]) -> dict:
    """`kg ARGS` in a fresh process: seconds, exit code, peak MB, bytes printed."""
    got = measure(args[-1], args)
    return {"seconds": got.wall_seconds, "exit": got.exit_code, "peak_mb": got.peak_mb,
            "printed_bytes": got.printed_bytes, "stderr": got.stderr_tail.splitlines()[-3:]}


def a_concept(vault: Path) -> str:
    """The concept of the note the bench edits (bench_scale.py's pick: the middle note by path)."""
    root = vault / "notes" if (vault / "notes").is_dir() else vault
    notes = sorted(p for p in root.rglob("*.md") if not {".kg", "site"} & set(p.relative_to(vault).parts))
    return notes[len(notes) // 2].stem if notes else "missing"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, default=HERE / "vaults" / "scale-10000")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args()
    vault = args.vault.resolve()
    if not vault.is_dir():
        sys.exit(f"bench_commands: no vault at {vault}; make it with bench/bench_scale.py")
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else print
    say(f"vault: {vault}")
    say(f"{time.strftime('%H:%M:%S')} bringing it up to date: kg build ...")
    built = subprocess.run([kg_command(), "--vault", str(vault), "build", "--json"], capture_output=True, text=True,
                           env=kg_env())
    if built.returncode not in (0, 1):
        sys.exit(f"kg build failed:\n{built.stderr[-2000:]}")
    concept = a_concept(vault)
    scratch = Path(tempfile.mkdtemp(prefix="kg-bench-commands-"))
    commands = [
        ("claims", ["claims"]),
        ("claims --evidence", ["claims", "--evidence"]),
        ("claims --json", ["claims", "--json"]),
        ("claims --status contested --json", ["claims", "--status", "contested", "--json"]),
        ("claims --origin source --has-quantity percent", ["claims", "--origin", "source", "--has-quantity", "percent"]),
        (f"claims --concept {concept}", ["claims", "--concept", concept]),
        ("tensions --all --json", ["tensions", "--all", "--json"]),
        (f"show {concept} --json", ["show", concept, "--json"]),
        ("check --json", ["check", "--json"]),
        ("sources --json", ["sources", "--json"]),
        ("export -o vault.ttl", ["export", "-o", str(scratch / "vault.ttl")]),
        ("graph --format graphml", ["graph", "--format", "graphml", "-o", str(scratch / "vault.graphml")]),
        ("query (store made again)", ["query", COUNT]),
        ("query (store kept)", ["query", COUNT]),
    ]
    results = {}
    try:
        for name, command in commands:
            if name.startswith("query (store made"):
                shutil.rmtree(vault / ".kg" / "rdf-store", ignore_errors=True)
            got = results[name] = run(["--vault", str(vault), *command])
            if not args.json:
                print(f"{name:48} {got['seconds']:7.2f} s  peak {got['peak_mb']:7.1f} MB  "
                      f"printed {got['printed_bytes']:>12,} bytes" + (f"  exit {got['exit']}" if got["exit"] else ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps({"vault": str(vault), "commands": results}, indent=2))


if __name__ == "__main__":
    main()
