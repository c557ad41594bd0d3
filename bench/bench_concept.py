#!/usr/bin/env python3
"""How long the commands about one concept take when nothing changed: read from the settled rows
of the concept's files, and read from the whole knowledge as before.

Usage: python bench/bench_concept.py VAULT CONCEPT [--rounds N]

Builds VAULT first when its build is not current (that build is not timed), then runs
`kg claims --concept CONCEPT --json`, `kg tensions --concept CONCEPT --json` and
`kg show CONCEPT --json` in this process, N rounds (default 2) of each way, and prints the
seconds of each run with the number of items printed. Both ways must print the same thing; a
difference stops the benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner  # noqa: E402

from kg.claims import store  # noqa: E402
from kg.cli import main  # noqa: E402

COMMANDS = (["claims", "--concept"], ["tensions", "--concept"], ["show"])


def run(vault: str, args: list[str]) -> tuple[float, object]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["--vault", vault, *args, "--json"])
    took = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"kg {' '.join(args)} failed: {result.output[-500:]}")
    return took, json.loads(result.output)


def size(out) -> int:
    return len(out) if isinstance(out, list) else len(out["claims"]) + len(out["mentioned_in"])


def main_(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault")
    parser.add_argument("concept")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    CliRunner().invoke(main, ["--vault", args.vault, "build", "--json"])  # brings the build up to date
    rows_way = store.Analysis.rows
    printed: dict[str, object] = {}
    for _ in range(args.rounds):
        for label, way in (("rows", rows_way), ("whole", lambda self: None)):
            store.Analysis.rows = way
            for command in COMMANDS:
                took, out = run(args.vault, [*command, args.concept])
                if printed.setdefault(command[0], out) != out:
                    raise SystemExit(f"kg {command[0]}: the rows and the whole knowledge printed different things")
                print(f"{label:5}  kg {command[0]:8} {took:6.2f} s  {size(out):6,} items", flush=True)
    store.Analysis.rows = rows_way


if __name__ == "__main__":
    main_()
