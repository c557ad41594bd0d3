"""The build, as a table of contents: each stage is one named function, called in order by `run`.

    read:      discover files -> parse each file (cached by content hash, on every core)
               -> concepts -> resolve links -> vault-wide checks                  (`build`)
    claims:    each file's claims, cached by what they are made from         (kg.claims.store.claims)
    index:     search passages, embedding only text not seen before        (kg.search.index.SearchIndex)
    knowledge: evidence, tensions, status, judged again only where changed (kg.claims.store.knowledge)
    publish:   the static site, pages drawn again only where their inputs changed  (kg.publish)

Gather everything before anything is written (MkDocs' rule), so every output sees one
consistent state. A Python user gets the whole build from `run(path)`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kg.assemble import check_vault, entries, make_concepts, resolve_links
from kg.cache import ParseCache
from kg.config import SectionSettings, Settings, cache_folder, load_settings
from kg.index import DocInfo, names_fingerprint
from kg.knowledge import KnowledgeBase
from kg.links import kept_resolver
from kg.lock import cache_lock, set_aside
from kg.memory import give_back
from kg.model import Claim, Diagnostic, Note, Source
from kg.paths import tag_with_parents
from kg.vault import VaultFile, content_hash, discover, read_bytes

if TYPE_CHECKING:
    from kg.claims.analyse import Knowledge
    from kg.claims.store import Analysis, ClaimFiles

Progress = Callable[[str, int, int | None], None]
"""Called as progress(stage, done, total) as the build goes; total is None for a stage of unknown length."""

PARALLEL_FROM = 200
"""Below this many files to parse, one process is faster than starting workers."""


@dataclass
class Build:
    """What a whole build produced: each stage's result, as `run` gathered them."""

    kb: KnowledgeBase
    """The read: files, concepts, links and their problems."""
    claim_files: ClaimFiles | None = None
    """The claims stage: which files hold claims (their claims read on first use)."""
    analysis: Analysis | None = None
    """The knowledge stage: evidence, tensions and status, with its counts and problems."""
    search: dict | None = None
    """What the search index stage did: files re-indexed, passages embedded."""
    site: dict | None = None
    """What the publish stage did: pages, written, seconds, folder."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds per stage, in order."""
    embedding: dict = field(default_factory=lambda: {"texts": 0, "tokens": 0, "seconds": 0.0})
    """What the stages ran through the model in this process: texts, tokens, seconds (a cold build's
    largest share, so the rate of a build is there to compare with `bench/bench_embed.py`'s)."""

    @property
    def claims(self) -> list[Claim]:
        """Every claim, question and declared tension of the notes and the checkable sentences of
        the sources, in file order: with their status once the knowledge stage ran."""
        with first_use():
            if self.analysis:
                return self.analysis.knowledge.claims
            return self.claim_files.claims if self.claim_files else []

    @property
    def knowledge(self) -> Knowledge | None:
        """Evidence, tensions and claim status (None without the knowledge stage); read from the
        store on first use when nothing changed."""
        with first_use():
            return self.analysis.knowledge if self.analysis else None

    @property
    def pending(self) -> bool:
        """Whether this build is a preview (run(preview=True)): the changed files' pages alone, with
        what the last analysis settled about them; a full build brings the rest up to date."""
        return bool(self.analysis and self.analysis.pending)

    @cached_property
    def diagnostics(self) -> list[Diagnostic]:
        """Every problem the stages found, by file and line."""
        found = [*self.kb.diagnostics, *(self.claim_files.problems if self.claim_files else []),
                 *(self.analysis.problems if self.analysis else [])]
        return sorted(found, key=lambda d: (d.doc, d.line, d.col, d.code))

    @property
    def stats(self) -> dict[str, float]:
        """Counts and timings: the read's (files, parsed, cached, and gone: deleted since the last
        read), the search index's (search_*), claims judged again (knowledge_judged, when the
        knowledge stage analysed), notes whose claims only moved to other lines (knowledge_moved,
        when the stage moved them in the settled rows instead), files whose few claims were patched
        into the settled rows (knowledge_patched, kg.claims.delta) and the whole build's seconds."""
        out = {**self.kb.stats, **{f"search_{k}": v for k, v in (self.search or {}).items()}}
        if self.analysis and self.analysis.judged is not None:
            out["knowledge_judged"] = self.analysis.judged
        if self.analysis and self.analysis.moved:
            out["knowledge_moved"] = len(self.analysis.moved)
        if self.analysis and self.analysis.patched is not None:
            out["knowledge_patched"] = len(self.analysis.patched)
        if self.stages:
            out["seconds"] = round(sum(self.stages.values()), 3)
        return out

    def summary(self) -> dict:
        """What `kg build` reports (its --json): the vault's counts, the stages' figures, problems."""
        kb, stats = self.kb, self.stats
        severities = Counter(d.severity for d in self.diagnostics)
        written = {tag for info in kb.infos.values() for tag in info.tags}  # (each once: 59 tags in 10k notes' 30k)
        tags = {t for tag in written for t in tag_with_parents(tag)}  # as the site's tag pages
        return {
            "vault": kb.root, "notes": len(kb.notes), "sources": len(kb.sources), "concepts": len(kb.concepts),
            "stubs": sum(1 for c in kb.concepts.values() if c.stub), "links": kb.link_count, "tags": len(tags),
            "parsed": int(stats["parsed"]), "cached": int(stats["cached"]), "seconds": stats["seconds"],
            "errors": severities["error"], "warnings": severities["warning"],
            "search": {k[7:]: int(v) for k, v in stats.items() if k.startswith("search_")} or None,
            "claims": self.analysis.summary if self.analysis else None,
            "knowledge": {k[10:]: int(v) for k, v in stats.items() if k.startswith("knowledge_")} or None,
            "site": self.site,
            "stages": {name: round(seconds, 3) for name, seconds in self.stages.items()},
            "embedding": {**self.embedding, "seconds": round(self.embedding["seconds"], 3)},
        }


def embedded(since: dict | None = None) -> dict:
    """The texts this process ran through the model, their tokens and the seconds it took
    (kg.search.embed.EMBEDDED); with `since`, those after that earlier reading."""
    embed = sys.modules.get("kg.search.embed")  # (not imported: nothing was embedded)
    counts = dict(embed.EMBEDDED) if embed else {"texts": 0, "tokens": 0, "seconds": 0.0}
    return {k: v - since[k] for k, v in counts.items()} if since else counts


def run(root: Path | str, settings: Settings | None = None, *, claims: bool = True, search: bool = True,
        knowledge: bool = True, site: bool = True, site_dir: Path | str | None = None,
        progress: Progress | None = None, jobs: int | None = None, cache_dir: Path | str | None = None,
        pagefind: bool = True, preview: bool = False) -> Build:
    """The whole build of the vault at `root`, each stage reusing what the last build left in its
    cache: read -> claims -> search index -> knowledge -> site. Turn stages off with the flags
    (knowledge runs only with claims and search). `site_dir` defaults to the vault's site folder.
    preview=True draws only the pages of the files changed since the site was last drawn, with
    what the last analysis settled about them, and leaves the search index, the analysis and
    every other page for the full build that follows (`Build.pending`): kg serve shows a save
    this way first. Without a site drawn before, or with site=False, the build is a full one.

        >>> from kg.build import run
        >>> done = run("my-vault", site=False)
        >>> len(done.claims), len(done.knowledge.tensions)
    """
    root = Path(root).resolve()
    settings = settings or load_settings(root)
    cache_dir = Path(cache_dir) if cache_dir else cache_folder(root)
    site_dir = Path(site_dir) if site_dir else None
    if site:  # refused before anything is read or written: the pages would land on the user's files
        from kg.publish import check_site_folder

        check_site_folder(root, settings, site_dir)
    args = (root, settings, claims, search, knowledge, site, site_dir, progress, jobs, cache_dir, pagefind, preview)
    with cache_lock(cache_dir), paused_gc(keep=_KEEP):
        try:
            return _run(*args)
        except sqlite3.DatabaseError as exc:
            # rows that contradict each other (a crash mid-write, a disk error, an old kg without
            # the lock): the cache is only ever a copy of what the vault says, so start it afresh
            where = set_aside(cache_dir)
            sys.stderr.write(f"kg: the cache in {cache_dir} was damaged ({exc}); it was moved to {where} "
                             "and is being rebuilt from the vault\n")
            return _run(*args)


@contextlib.contextmanager
def paused_gc(keep: bool = False) -> Iterator[None]:
    """Python's cycle collector off for the length of a build, or of reading its knowledge on
    first use. A build holds millions of objects (a 10k vault: 180k claims, a million tension
    pairs, the pages' views), and the collector scans all of them each time they grow by a
    quarter: 40 s of a 136 s edit went to 21 full scans that freed nothing worth keeping, and
    `kg tensions` on an unchanged 10k vault spent 7 s of 22 s on them. The build's own garbage
    goes by reference counts; the collector runs again once the build is over (nested builds
    leave it as they found it). keep: what was made is first moved out of its sight
    (`keep_out_of_collection`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()


_KEEP = False
"""Whether this process keeps what builds make out of the collector's sight (`keep_out_of_collection`)."""


def first_use() -> contextlib.AbstractContextManager[None]:
    """For what a build's result makes on first use (its knowledge, every settled row): as many
    objects as a build makes, so the collector is paused as in the build, and what is made is set
    aside with the build's objects when this process does that."""
    return paused_gc(keep=_KEEP)


def keep_out_of_collection() -> None:
    """Move every object there is out of the collector's sight (`gc.freeze`): for a command that
    prints a build's result and exits, where the collector's first full scan of that result took
    2.3 s of a 10k edit; what a build makes (its objects go there before the collector is on again:
    its first scan of them took 0.5 s of a 10k edit that keeps its knowledge) and what it reads
    later on first use (`Build.knowledge`) are moved there too. Cycles among them are then not
    collected until `collect_garbage`. Call it before the build."""
    global _KEEP
    _KEEP = True
    gc.freeze()


def collect_garbage() -> None:
    """Give the objects `keep_out_of_collection` set aside back to the collector and collect them:
    for a process that builds again and again (kg serve), between builds."""
    global _KEEP
    _KEEP = False
    gc.unfreeze()
    gc.collect()


def _run(root: Path, settings: Settings, claims: bool, search: bool, knowledge: bool, site: bool,
         site_dir: Path | None, progress: Progress | None, jobs: int | None, cache_dir: Path,
         pagefind: bool, preview: bool) -> Build:
    stages: dict[str, float] = {}

    def timed(name: str, stage: Callable, *args, **kwargs):
        t = time.perf_counter()
        try:
            return stage(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t

    before = embedded()
    early = search and claims and knowledge and not preview and _analysed(cache_dir)
    if early:  # most builds of an analysed vault are edits: the model loads on the other core meanwhile
        from kg.search.embed import preload_model

        preload_model(forked=True)
    aside = None
    try:  # (the processes are ended unused if the site is not drawn or the model not needed)
        kb = timed("read", build, root, settings, progress, jobs, cache_dir)
        out = Path(site_dir or root / settings.vault.site).resolve()
        changed = kb.stats["parsed"] + kb.stats["gone"]  # (a deleted note is an edit too)
        edit = search and not preview and 0 < changed < PARALLEL_FROM
        if early and not (edit and kb.stats["parsed"]):  # nothing new to embed, or too much for it
            from kg.search.embed import let_model_go

            let_model_go()
        if edit and site and pagefind and not (claims and knowledge and not _kept_by_this_kg(cache_dir)):
            from kg.publish.writer import MeaningAside  # forked now, before any thread starts and the claims are read

            aside = MeaningAside.fork(kb, settings.site.title_of(root), settings.site.base, changed, out, cache_dir)
        files = analysis = found = preview_of = None
        if edit and kb.stats["parsed"]:
            from kg.search.embed import preload_model

            preload_model()  # an edit's new text is embedded by the index stage: load the model meanwhile
        if claims:
            from kg.claims.store import claims as claims_stage

            files = timed("claims", claims_stage, kb, cache_dir, progress)
        if preview and site and files and search and knowledge:
            from kg.publish.writer import unseen_files

            preview_of = unseen_files(kb, cache_dir, out)  # None: no site drawn yet, so a full build
        if search and preview_of is None:  # a preview leaves the index for the full build
            from kg.search.embed import let_model_go, shared_embedder
            from kg.search.index import SearchIndex

            found = timed("index", SearchIndex(cache_dir).update, kb, shared_embedder, progress,
                          files.texts_by_block if files else None)
            if aside is not None:  # the meaning search files, made while the claims are analysed; beside
                from kg.claims.store import kept_analysis  # a fresh analysis they would raise the peak:

                if not (files and knowledge) or kept_analysis(cache_dir):  # the site stage decides then
                    aside.start(out, cache_dir)
            if not (edit and files and knowledge):  # an edit's new claims are embedded next, by the same model
                let_model_go()  # (loading it again took 0.5 s of a 10k vault's edit)
                give_back()
        if files and search and knowledge:
            from kg.claims.store import knowledge as knowledge_stage
            from kg.search.embed import let_model_go

            analysis = timed("knowledge", knowledge_stage, kb, files, cache_dir, progress, preview=preview_of)
            let_model_go()  # (the stage lets it go once it embedded; an edit without new claims embedded none)
            if not edit:  # before the site's drawing workers are forked from this process (an edit draws its
                give_back()  # few pages here, and the pages handed back were faulted in again: 6k, 0.02 s at 10k)
        done = Build(kb, files, analysis, found, stages=stages)
        if site:
            from kg.publish import publish_vault

            done.site = {**timed("publish", publish_vault, kb, settings, cache_dir, out, progress, jobs, pagefind,
                                 analysis=analysis, only=preview_of, aside=aside), "folder": str(out)}
        if found is not None and (not site or pagefind):  # the site asked for its titles' vectors: keep them
            from kg.search.index import SearchIndex

            timed("index", SearchIndex(cache_dir).sweep)
        done.embedding = embedded(since=before)
        return done
    finally:
        if aside is not None:
            aside.close()
        if early:  # (the stages let it go once they embedded; a stage that failed may not have)
            from kg.search.embed import let_model_go

            let_model_go()


def _analysed(cache_dir: Path) -> bool:
    """kg.claims.store.kept_analysis: the vault was analysed before, so this build is most likely an
    edit (or nothing changed), not a cold build."""
    from kg.claims.store import kept_analysis

    return kept_analysis(cache_dir)


def _kept_by_this_kg(cache_dir: Path) -> bool:
    """kg.claims.store.kept_by_this_kg: when not, the knowledge stage is likely to analyse afresh (a
    kg upgrade), and a process forked beside it kept what it let go (at 10k notes, 114 MB more at
    the peak of a build that re-analysed with one note edited). The site stage forks one later."""
    from kg.claims.store import kept_by_this_kg

    return kept_by_this_kg(cache_dir)


def build(root: Path, settings: Settings | None = None, progress: Progress | None = None,
          jobs: int | None = None, cache_dir: Path | None = None) -> KnowledgeBase:
    """Read the vault at `root` into a KnowledgeBase, re-parsing only files that changed.

    The parse cache lives in `cache_dir` (default `root/.kg`, or $KG_CACHE_DIR)."""
    started = time.perf_counter()
    root = root.resolve()
    settings = settings or load_settings(root)
    cache_dir = cache_dir or cache_folder(root)
    with cache_lock(cache_dir):
        kb, files, parsed, cached, gone = _read(root, settings, progress, jobs, cache_dir)
    kb.diagnostics.sort(key=lambda d: (d.doc, d.line, d.col, d.code))
    kb.stats = {"files": len(files), "parsed": parsed, "cached": cached, "gone": gone,
                "seconds": round(time.perf_counter() - started, 3)}
    return kb


def _read(root: Path, settings: Settings, progress: Progress | None, jobs: int | None, cache_dir: Path):
    cache = ParseCache(cache_dir, _fingerprint(settings))
    try:
        files, passed_over = discover(root, settings)
        kb, parsed, cached, gone = parse_all(root, files, settings, progress, jobs, cache)
        kb.diagnostics.extend(passed_over)
        kb.files = [f.path for f in files if f.kind == "file"]
        kb.on_disk = {f.path: f.fs for f in files if f.fs != f.path}
        if progress:
            progress("Resolving links", 0, None)
        kb.parsed_with = cache.fingerprint
        make_concepts(kb, settings.vault.notes)
        kb.names = names_fingerprint(kb.infos, kb.files)
        offered = functools.cache(lambda: entries(kb))  # (asked for only when the names changed, once)
        fresh, looked, restamped = resolve_links(kb, kb.names, cache.resolutions(), cache.lookups, offered,
                                                 lambda: kept_resolver(kb.infos, kb.files, kb.names, cache_dir))
        cache.store_resolutions(fresh, set(kb.infos), kb.names, restamped)
        cache.store_lookups(looked, set(kb.infos), kb.names, offered)
        check_vault(kb)
    finally:
        cache.close()
    return kb, files, parsed, cached, gone


def _fingerprint(settings: Settings) -> str:
    """Settings that change what a parse produces; a change drops the parse cache."""
    return hashlib.blake2b(settings.sections.model_dump_json().encode(), digest_size=8).hexdigest()


def parse_all(root: Path, files: list[VaultFile], settings: Settings, progress: Progress | None,
              jobs: int | None, cache: ParseCache) -> tuple[KnowledgeBase, int, int, int]:
    """Parse every note and source, reusing the cache where the content hash matches.

    Returns the KnowledgeBase holding each file's light index, and (parsed, cached, gone) counts:
    gone is the files read last time and deleted since."""
    states = cache.states()
    max_bytes = int(settings.vault.max_file_mb * 1e6)
    problems: list[Diagnostic] = []
    todo: list[tuple[str, str, str, bytes, int, int]] = []
    restat: list[tuple[int, int, str]] = []
    keep: set[str] = set()
    for f in files:
        if f.kind == "file":
            continue
        known = states.get(f.path)
        if known and known[1] == f.size and known[2] == f.mtime:
            keep.add(f.path)
            continue
        data, problem = read_bytes(root, f, max_bytes)
        if data is None:
            problems.append(problem)
            continue
        digest = content_hash(data)
        keep.add(f.path)
        if known and known[0] == digest:
            restat.append((f.size, f.mtime, f.path))
        else:
            todo.append((f.kind, f.path, digest, data, f.size, f.mtime))
    for rows in _parse_many(todo, settings.sections, progress, jobs):
        cache.store(rows)  # as they come: a cold build of a large vault never holds every parse
        states.update((path, (digest, size, mtime, names, refs)) for path, digest, _, size, mtime, names, refs, _ in rows)
    gone = cache.finish(restat, keep)
    infos: dict[str, DocInfo] = {}
    for path in sorted(keep):  # (the files read now, as the cache has them)
        digest, _, _, names, refs = states[path]
        info = DocInfo.loads(path, digest, names, refs)
        problems.extend(info.problems())
        if info.kind in ("note", "source"):
            infos[path] = info
    folder = cache.path.parent

    def read(paths: list[str]) -> dict[str, tuple[str, str]]:
        reader = ParseCache(folder, _fingerprint(settings))
        try:
            return reader.data(paths)
        finally:
            reader.close()

    def loader(paths: list[str]) -> dict[str, Note | Source]:
        return {p: (Note if kind == "note" else Source).model_validate_json(data)
                for p, (kind, data) in read(paths).items()}

    kb = KnowledgeBase(str(root), dict(sorted(infos.items())), loader, read)
    kb.diagnostics.extend(problems)
    return kb, len(todo), len(keep) - len(todo), gone


def _parse_batch(batch: list[tuple], sections: SectionSettings) -> list[tuple]:
    """Parse files -> cache rows (path, hash, kind, size, mtime, names, refs, data). Runs in a worker."""
    from kg.parse import parse_file

    rows = []
    for kind, path, digest, data, size, mtime in batch:
        try:
            result = parse_file(kind, path, digest, data, sections)
        except Exception as exc:  # a parser bug must not stop the vault: report it on the file
            result = [Diagnostic(doc=path, severity="error", code="parse-failed",
                                 message=f"kg could not parse this file ({type(exc).__name__}: {exc}); "
                                         "please report it")]
        if isinstance(result, list):
            info = DocInfo(path, digest, "unreadable", "", [], None, [], [], [],
                           [(d.line, d.col, d.severity, d.code, d.message) for d in result])
            rows.append((path, digest, "unreadable", size, mtime, info.names_json(), "{}", None))
        else:
            info = DocInfo.of(result, kind)
            rows.append((path, digest, kind, size, mtime, info.names_json(), info.refs_json,
                         result.model_dump_json(exclude_defaults=True)))
    return rows


def _parse_many(todo: list[tuple], sections: SectionSettings, progress: Progress | None,
                jobs: int | None) -> Iterator[list[tuple]]:
    """Parse files in batches, on every core when there are enough; yields batches of rows."""
    total, done = len(todo), 0
    if progress:
        progress("Parsing files", 0, total)
    jobs = jobs or min(os.cpu_count() or 1, 8)
    if total < PARALLEL_FROM or jobs <= 1:
        batches = (_parse_batch(todo[i:i + 50], sections) for i in range(0, total, 50))
        pool = None
    else:
        size = max(10, min(100, total // (jobs * 8)))
        pool = ProcessPoolExecutor(max_workers=jobs)
        batches = pool.map(_parse_batch, [todo[i:i + size] for i in range(0, total, size)],
                           [sections] * ((total + size - 1) // size))
    try:
        for rows in batches:
            done += len(rows)
            if progress:
                progress("Parsing files", done, total)
            yield rows
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
