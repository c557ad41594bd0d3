#!/usr/bin/env python3
"""Benchmark the linked-data export, kg query and the push, on a vault with its claims.

Usage: python bench/bench_rdf.py [N ...] [--push] [--engines oxigraph,rdflib] [--formats turtle,nt,jsonld]
       (default: 10000, both engines, the three formats)

For each N it reads the synthetic vault bench/vaults/vault-N (made by bench/make_vault.py when
missing) with its claims, evidence and tensions. The first run analyses the vault (embedding
every claim: about half an hour at 10k on two cores) and caches the result in the vault's .kg/;
that stage is not what is measured here. Then, each in a fresh process so that peak memory is
its own:
- export: Turtle, N-Triples and JSON-LD through pyoxigraph and through rdflib (the two engines
  of `kg export --engine`), written to a temporary file;
- query: the vault's triples loaded into an in-memory Oxigraph store (what every `kg query`
  does), then two queries from docs/queries;
- with --push: an Oxigraph server started on loopback, the graph pushed twice (the second push
  replaces the first), and the store's count of triples.
It prints, per step: triples, seconds, triples per second, the file's size, and the process's
peak resident memory beyond what the loaded vault already held.
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


def rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(vault: Path):
    from kg.build import build
    from kg.claims.store import knowledge
    from kg.config import cache_folder, load_settings

    start = time.perf_counter()
    kb = build(vault, load_settings(vault))
    knowledge(kb, cache_folder(vault))
    return kb, time.perf_counter() - start


def child(step: str, vault: Path, *args: str) -> dict:
    """One measured step in this process (run by the parent as a subprocess)."""
    kb, loaded = load(vault)
    before = rss_mb()
    start = time.perf_counter()
    out: dict = {"step": step, "load_s": loaded}
    if step == "export":
        from kg.rdf.export import write

        fmt, engine = args
        with tempfile.NamedTemporaryFile(suffix="." + fmt) as f:
            done = write(kb, BASE, fmt, f, engine, "bench")
            f.flush()
            out.update(triples=done.counts["triples"], bytes=Path(f.name).stat().st_size, counts=done.counts)
    elif step == "query":
        from kg.rdf.query import load as load_store
        from kg.rdf.query import run

        store, emitter = load_store(kb, BASE, "bench")
        out["store_s"] = time.perf_counter() - start
        out["triples"] = emitter.counts["triples"]
        for name in ("contested-with-sources", "tensions-by-kind"):
            t = time.perf_counter()
            answer = run(store, (ROOT / "docs" / "queries" / f"{name}.rq").read_text(encoding="utf-8"), BASE)
            out[f"{name}_s"] = time.perf_counter() - t
            out[f"{name}_rows"] = len(answer.rows)
    elif step == "push":
        import pyoxigraph as ox

        from kg.rdf.emit import Emitter
        from kg.rdf.export import oxigraph_terms
        from kg.rdf.push import push

        url, = args
        for n in (1, 2):
            t = time.perf_counter()
            emitter = Emitter(kb, BASE, oxigraph_terms(), "bench")
            done = push((ox.Triple(*x) for x in emitter.triples()), url + "/update", BASE)
            out[f"push{n}_s"] = time.perf_counter() - t
            out["requests"] = done["requests"]
            out["bytes"] = done["bytes"]
        out["triples"] = emitter.counts["triples"]
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}> {{ ?s ?p ?o }} }}"
        import urllib.parse
        import urllib.request

        request = urllib.request.Request(f"{url}/query?" + urllib.parse.urlencode({"query": query}),
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            out["store_triples"] = int(json.load(response)["results"]["bindings"][0]["n"]["value"])
    out["seconds"] = time.perf_counter() - start
    out["peak_mb"] = rss_mb()
    out["added_mb"] = rss_mb() - before
    return out


def measure(step: str, vault: Path, *args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", step, str(vault), *args],
                          check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(n: int, with_push: bool, engines: list[str], formats: list[str]) -> None:
    vault = vault_of(n)
    start = time.perf_counter()
    kb, _ = load(vault)  # analyses once, then cached
    found = kb.knowledge
    print(f"\nvault-{n}: {len(kb.infos):,} files, {len(kb.concepts):,} concepts, {len(found.claims):,} claims, "
          f"{len(found.evidence):,} evidence, {len(found.tensions):,} tensions "
          f"(read and analysed in {time.perf_counter() - start:.1f} s)", flush=True)
    del kb, found
    print(f"{'step':<28}{'triples':>11}{'seconds':>9}{'triples/s':>11}{'file MB':>9}{'peak MB':>9}{'+MB':>8}")
    for fmt in formats:
        for engine in engines:
            r = measure("export", vault, fmt, engine)
            print(f"{'export ' + fmt + ' ' + engine:<28}{r['triples']:>11,}{r['seconds']:>9.1f}"
                  f"{r['triples'] / r['seconds']:>11,.0f}{r['bytes'] / 1e6:>9.1f}{r['peak_mb']:>9.0f}"
                  f"{r['added_mb']:>8.0f}", flush=True)
    r = measure("query", vault)
    print(f"{'query: load store':<28}{r['triples']:>11,}{r['store_s']:>9.1f}{r['triples'] / r['store_s']:>11,.0f}"
          f"{'':>9}{r['peak_mb']:>9.0f}{r['added_mb']:>8.0f}")
    for name in ("contested-with-sources", "tensions-by-kind"):
        print(f"{'  ' + name:<28}{r[name + '_rows']:>11,}{r[name + '_s']:>9.2f}  rows")
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
                r = measure("push", vault, f"http://127.0.0.1:{port}")
            finally:
                server.terminate()
                server.wait()
        print(f"{'push (first)':<28}{r['triples']:>11,}{r['push1_s']:>9.1f}{r['triples'] / r['push1_s']:>11,.0f}"
              f"{r['bytes'] / 1e6:>9.1f}{r['peak_mb']:>9.0f}{r['added_mb']:>8.0f}")
        print(f"{'push (again, replaces)':<28}{r['triples']:>11,}{r['push2_s']:>9.1f}"
              f"{r['triples'] / r['push2_s']:>11,.0f}   {r['requests']} requests; store holds "
              f"{r['store_triples']:,} triples")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        step, vault, *args = sys.argv[2:]
        print(json.dumps(child(step, Path(vault), *args)))
        return
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
