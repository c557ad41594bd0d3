#!/usr/bin/env python3
"""Benchmark the linked-data export, kg query and the push, on a vault with its claims.

Usage: python bench/bench_rdf.py [N ...] [--push] [--engines oxigraph,rdflib] [--formats turtle,nt,jsonld]
       (default: 10000, both engines, the three formats)

For each N it reads the synthetic vault bench/vaults/vault-N (made by bench/make_vault.py when
missing) with its claims, evidence and tensions. The first run analyses the vault (embedding
every claim: about half an hour at 1k notes on two cores) and caches the result in the vault's
.kg/; reading that cache back is timed but is not the export. Then, in this one process, each
step with its own peak memory (Linux: /proc/self/clear_refs resets the peak before each step):
- export: Turtle, N-Triples and JSON-LD through pyoxigraph and through rdflib (the two engines
  of `kg export --engine`), written to a temporary file;
- query: the vault's triples loaded into an in-memory Oxigraph store (what every `kg query`
  does), then two queries from docs/queries;
- with --push: an Oxigraph server started on loopback, the graph pushed twice (the second push
  replaces the first), and the store's count of triples.
It prints, per step: triples, seconds, triples per second, the file's size, the step's peak
resident memory and how much of it the step added to what the loaded vault already held.
"""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
BASE = "https://example.org/bench/"


def vault_of(n: int) -> Path:
    vault = HERE / "vaults" / f"vault-{n}"
    if not (vault / "notes").is_dir():
        subprocess.run([sys.executable, str(HERE / "make_vault.py"), str(n)], check=True)
    return vault


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Make the process's peak resident memory its current one (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def load(vault: Path):
    """The vault built with its claims, evidence and tensions (kg.build.Build), and the seconds it took."""
    from kg.build import run

    start = time.perf_counter()
    built = run(vault, site=False)
    return built, time.perf_counter() - start


def measure(label: str, work) -> dict:
    """Run one step; print its row; return what it returned, with its timing and memory."""
    import gc

    gc.collect()
    reset_peak()
    before = _status("VmRSS")
    start = time.perf_counter()
    out = work()
    out["seconds"] = time.perf_counter() - start
    out["peak_mb"] = _status("VmHWM")
    out["added_mb"] = out["peak_mb"] - before
    size = f"{out['bytes'] / 1e6:>9.1f}" if "bytes" in out else f"{'':>9}"
    print(f"{label:<28}{out['triples']:>11,}{out['seconds']:>9.1f}{out['triples'] / out['seconds']:>11,.0f}{size}"
          f"{out['peak_mb']:>9.0f}{out['added_mb']:>8.0f}", flush=True)
    return out


def export_step(built, fmt: str, engine: str):
    from kg.rdf.export import write

    def work() -> dict:
        with tempfile.NamedTemporaryFile(suffix="." + fmt) as f:
            done = write(built.kb, BASE, fmt, f, engine, "bench", knowledge=built.knowledge)
            f.flush()
            return {"triples": done.counts["triples"], "bytes": Path(f.name).stat().st_size}
    return work


def query_step(built, answers: dict):
    from kg.rdf.query import load as load_store
    from kg.rdf.query import run

    def work() -> dict:
        store, emitter = load_store(built.kb, BASE, "bench", knowledge=built.knowledge)
        answers["load"] = time.perf_counter()
        for name in ("contested-with-sources", "tensions-by-kind"):
            t = time.perf_counter()
            answer = run(store, (ROOT / "docs" / "queries" / f"{name}.rq").read_text(encoding="utf-8"), BASE)
            answers[name] = (time.perf_counter() - t, len(answer.rows))
        return {"triples": emitter.counts["triples"]}
    return work


def push_step(built, url: str, again: dict):
    import urllib.parse
    import urllib.request

    import pyoxigraph as ox

    from kg.rdf.emit import Emitter
    from kg.rdf.export import oxigraph_terms
    from kg.rdf.push import push

    def work() -> dict:
        emitter = Emitter(built.kb, BASE, oxigraph_terms(), "bench", knowledge=built.knowledge)
        done = push((ox.Triple(*x) for x in emitter.triples()), url + "/update", BASE)
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}> {{ ?s ?p ?o }} }}"
        request = urllib.request.Request(f"{url}/query?" + urllib.parse.urlencode({"query": query}),
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=3600) as response:
            again["store_triples"] = int(json.load(response)["results"]["bindings"][0]["n"]["value"])
        again["requests"] = done["requests"]
        return {"triples": emitter.counts["triples"], "bytes": done["bytes"]}
    return work


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(n: int, with_push: bool, engines: list[str], formats: list[str]) -> None:
    vault = vault_of(n)
    reset_peak()
    built, seconds = load(vault)  # analyses once, then reads the cache
    kb, found = built.kb, built.knowledge
    print(f"\nvault-{n}: {len(kb.infos):,} files, {len(kb.concepts):,} concepts, {len(found.claims):,} claims, "
          f"{len(found.evidence):,} evidence, {len(found.tensions):,} tensions; read in {seconds:.1f} s, "
          f"{_status('VmRSS'):,.0f} MB resident", flush=True)
    print(f"{'step':<28}{'triples':>11}{'seconds':>9}{'triples/s':>11}{'file MB':>9}{'peak MB':>9}{'+MB':>8}")
    order = sorted(((f, e) for f in formats for e in engines), key=lambda fe: (fe[1] != "oxigraph", fe[0] != "turtle", fe))
    for fmt, engine in [fe for fe in order if fe[1] == "oxigraph"]:
        measure(f"export {fmt} {engine}", export_step(built, fmt, engine))
    answers: dict = {}
    measure("query: load store + 2 queries", query_step(built, answers))
    for name in ("contested-with-sources", "tensions-by-kind"):
        print(f"{'  ' + name:<28}{answers[name][1]:>11,}{answers[name][0]:>9.2f}  rows, seconds", flush=True)
    if with_push:
        binary = Path(sys.executable).parent / "oxigraph"
        with tempfile.TemporaryDirectory(prefix="kg-bench-store-") as store:
            port = free_port()
            server = subprocess.Popen([str(binary), "serve", "--location", store, "--bind", f"127.0.0.1:{port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                for _ in range(100):
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                        break
                    except OSError:
                        time.sleep(0.1)
                for label in ("push (first)", "push (again, replaces)"):
                    again: dict = {}
                    measure(label, push_step(built, f"http://127.0.0.1:{port}", again))
                print(f"{'':<28}{again['requests']} requests; the store's graph holds {again['store_triples']:,} "
                      "triples", flush=True)
            finally:
                server.terminate()
                server.wait()
    for fmt, engine in [fe for fe in order if fe[1] != "oxigraph"]:
        measure(f"export {fmt} {engine}", export_step(built, fmt, engine))


def main() -> None:
    argv = sys.argv[1:]
    options = {"--engines": "oxigraph,rdflib", "--formats": "turtle,nt,jsonld"}
    sizes = []
    while argv:
        arg = argv.pop(0)
        if arg in options:
            options[arg] = argv.pop(0)
        elif not arg.startswith("--"):
            sizes.append(int(arg))
    for n in sizes or [10000]:
        run(n, "--push" in sys.argv, options["--engines"].split(","), options["--formats"].split(","))


if __name__ == "__main__":
    main()
