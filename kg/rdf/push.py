"""Push a vault's graph to a SPARQL 1.1 store with the standard update protocol.

The vault's triples replace its named graph (by default the site's base URL), so pushing twice
leaves the store as pushing once, and no other graph is touched. A graph that fits in one
update goes as one request, which a store runs as one transaction (readers see the old graph or
the new one):

    DROP SILENT GRAPH <g> ; INSERT DATA { GRAPH <g> { ... } }

A larger one cannot: stores limit an update's size (Oxigraph's server refuses bodies over
128 MiB, and a 1k-note vault with its claims is 700 MB of N-Triples). It is replaced in place:
`DROP SILENT GRAPH <g>`, then batches of `INSERT DATA`, so readers see the graph fill up while
the push runs. Building it in a staging graph and moving it over at the end would keep readers
out of that state, but Oxigraph's MOVE copies every triple again and did not finish in five
minutes for 4M triples (bench/bench_rdf.py).
"""

from __future__ import annotations

import base64
import itertools
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

BATCH_BYTES = 8_000_000
"""Largest update body sent, in bytes: well under what stores accept (Oxigraph: 128 MiB)."""


class PushError(Exception):
    """The store could not be reached or refused the update; the message says which and why."""


def check_iri(iri: str, what: str = "graph IRI") -> str:
    """An absolute IRI that can go between < and > in SPARQL, else PushError: the graph name is
    written into the update, so nothing may close the IRI and start another operation."""
    from kg.rdf.emit import is_iri

    scheme, sep, rest = iri.partition(":")
    if not sep or not rest or not scheme[:1].isalpha() or any(c in iri for c in _NOT_IN_IRI) or not is_iri(iri):
        raise PushError(f"not an absolute IRI: {what} {iri!r} (e.g. https://example.org/my-vault/)")
    return iri


_NOT_IN_IRI = set(' <>"{}|\\^`') | {chr(c) for c in range(0x21)}


def _endpoint(url: str) -> tuple[str, dict[str, str]]:
    """The URL without user:password, and the headers that carry them (HTTP Basic)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        if parts.port == 0:  # reading the port also checks its range
            raise ValueError("port 0")
    except ValueError as exc:
        raise PushError(f"not a URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise PushError(f"not an http(s) URL: {url!r} (give the store's SPARQL update endpoint, "
                        "e.g. http://localhost:7878/update)")
    headers = {"Content-Type": "application/sparql-update; charset=utf-8", "User-Agent": "kg"}
    if parts.username is not None:
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
    return urlunsplit(parts), headers


def check_url(url: str) -> str:
    """The update endpoint's URL, or PushError saying why it is not one."""
    _endpoint(url)
    return url


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return _endpoint(url)[0]
    except PushError:
        return url


def send(url: str, update: str, timeout: float = 300) -> None:
    """POST one SPARQL update."""
    endpoint, headers = _endpoint(url)
    request = urllib.request.Request(endpoint, data=update.encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace").strip()
        detail = " ".join(body.split())[:300]
        hint = ""
        if exc.code in (404, 405):
            hint = " (is this the store's update endpoint? Oxigraph's is /update, Fuseki's /<dataset>/update)"
        elif exc.code in (401, 403):
            hint = " (give credentials in the URL: http://user:password@host/...)"
        raise PushError(f"the store at {endpoint} refused the update: HTTP {exc.code} {exc.reason}"
                        f"{': ' + detail if detail else ''}{hint}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise PushError(f"the store at {endpoint} did not answer within {timeout:.0f} s") from None
        raise PushError(f"cannot reach the store at {endpoint}: {exc.reason}") from None
    except TimeoutError:
        raise PushError(f"the store at {endpoint} did not answer within {timeout:.0f} s") from None
    except (ConnectionError, OSError) as exc:
        raise PushError(f"cannot reach the store at {endpoint}: {exc}") from None


def batches(triples: Iterable, limit: int = BATCH_BYTES, group: int = 400) -> Iterator[str]:
    """The triples as N-Triples text, in pieces of at most `limit` bytes (a triple longer than
    that makes a piece of its own). Triples are serialised `group` at a time."""
    import pyoxigraph as ox

    def text(items: list) -> str:
        return ox.serialize(items, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")

    pieces: list[str] = []
    size = 0
    for chunk in _grouped(triples, group):
        block = text(chunk)
        parts = [block] if len(block.encode("utf-8")) <= limit else [text([t]) for t in chunk]
        for part in parts:
            n = len(part.encode("utf-8"))
            if pieces and size + n > limit:
                yield "".join(pieces)
                pieces, size = [], 0
            pieces.append(part)
            size += n
    if pieces:
        yield "".join(pieces)


def _grouped(items: Iterable, n: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def push(triples: Iterable, url: str, graph: str, progress: Callable[[int, int | None], None] | None = None,
         limit: int = BATCH_BYTES) -> dict:
    """Replace `graph` in the store at `url` (its SPARQL update endpoint) with these triples
    (pyoxigraph Triples). Returns {requests, bytes, seconds}."""
    start = time.perf_counter()
    check_url(url)  # a bad URL or graph name fails before any work
    check_iri(graph)
    pieces = batches(triples, limit)
    first = next(pieces, "")
    second = next(pieces, None)
    if second is None:  # one update: atomic in any store that runs an update as a transaction
        send(url, f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{first}}} }}")
        return {"requests": 1, "bytes": len(first.encode("utf-8")), "seconds": time.perf_counter() - start}
    send(url, f"DROP SILENT GRAPH <{graph}>")
    requests, sent = 1, 0
    try:
        for piece in itertools.chain((first, second), pieces):
            send(url, f"INSERT DATA {{ GRAPH <{graph}> {{\n{piece}}} }}")
            requests += 1
            sent += len(piece.encode("utf-8"))
            if progress:
                progress(requests - 1, None)
    except PushError as exc:
        raise PushError(f"{exc}; the store now holds part of the vault's graph <{graph}> "
                        f"({requests - 1} batches of up to {limit / 1e6:g} MB): push again") from None
    return {"requests": requests, "bytes": sent, "seconds": time.perf_counter() - start}
