"""A source file (.md, .txt, .html) -> `Source`: cleaned text, metadata, anchored sentences."""

from __future__ import annotations

import re
from bisect import bisect_left

import ahocorasick

from kg.config import SectionSettings
from kg.model import Block, Diagnostic, Section, Sentence, Source
from kg.parse import clean, frontmatter, markdown, sentences
from kg.parse.markdown import role_of
from kg.paths import heading_anchor, stem

_SENTENCE_BLOCKS = ("paragraph", "item", "quote", "footnote")


def source_format(doc: str) -> str:
    suffix = doc.rsplit(".", 1)[-1].lower()
    return {"htm": "html", "markdown": "md"}.get(suffix, suffix)


def parse_source(doc: str, digest: str, text: str, sections: SectionSettings,
                 diagnostics: list[Diagnostic] | None = None) -> Source:
    """Parse one source's decoded text. Never raises for bad content."""
    fmt = source_format(doc)
    if fmt == "html":
        source = _from_html(doc, digest, text, sections)
    elif fmt == "txt":
        source = _from_text(doc, digest, text, sections)
    else:
        source = _from_markdown(doc, digest, text, sections)
    source.diagnostics[:0] = diagnostics or []
    source.sentences = split_sentences(source.blocks)
    if not source.title:
        source.title = _title_from_text(source) or stem(doc)
    return source


def _from_markdown(doc: str, digest: str, text: str, sections: SectionSettings, fmt: str = "md") -> Source:
    parts = markdown.parse(doc, text, sections)
    meta = parts.meta
    fm_line = parts.front_matter_line or 1
    date = frontmatter.as_date(meta.get("date")) if meta.get("date") is not None else None
    if date is None:  # a date stated in the first lines of the text
        date = clean.find_date("\n".join(text.split("\n")[:20]))
    author = meta.get("author") or meta.get("authors")
    if isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    return Source(
        path=doc, hash=digest, format=fmt, title=str(meta.get("title") or parts.h1 or ""),
        aliases=frontmatter.as_list(meta.get("aliases")),
        tags=[*(t for t in parts.tags)] + [
            _tag(t, parts.front_matter_raw, fm_line) for t in frontmatter.as_list(meta.get("tags"))],
        meta=frontmatter.jsonable(meta), sections=parts.sections, blocks=parts.blocks, links=parts.links,
        fields=parts.fields, headings=parts.headings, diagnostics=parts.diagnostics,
        author=str(author) if author else None, date=date,
        url=str(meta["url"]) if meta.get("url") else None,
        publisher=str(meta["publisher"]) if meta.get("publisher") else None,
    )


def _tag(name: str, raw: str, first: int):
    from kg.model import Tag
    return Tag(name=name.lstrip("#").casefold(), line=frontmatter.key_line(raw, "tags", first))


def _from_text(doc: str, digest: str, text: str, sections: SectionSettings) -> Source:
    found = clean.clean(text)
    secs = [Section(heading="", level=0, role="claims", line=1, anchor="")]
    if found.title:
        secs.append(Section(heading=found.title, level=1, role="claims", line=1, anchor=heading_anchor(found.title)))
    blocks: list[Block] = []
    for line in found.lines:
        if line.kind == "heading":
            role = role_of(line.text, sections) or "claims"
            secs.append(Section(heading=line.text, level=2, role=role, line=line.number,
                                anchor=heading_anchor(line.text)))
            continue
        end = line.number + line.text.count("\n")
        blocks.append(Block(kind=line.kind, text=line.text, line=line.number, end_line=end, section=len(secs) - 1))
    return Source(path=doc, hash=digest, format="txt", title=found.title or "", sections=secs, blocks=blocks,
                  headings=[s.anchor for s in secs if s.anchor], author=found.author, date=found.date,
                  removed=found.removed)


def _from_html(doc: str, digest: str, text: str, sections: SectionSettings) -> Source:
    """trafilatura finds the main text and metadata of a web page; we read its Markdown."""
    import trafilatura

    extracted = trafilatura.extract(text, output_format="markdown", include_comments=False,
                                    include_tables=True, include_links=False, favor_precision=True) or ""
    meta = trafilatura.extract_metadata(text)
    source = _from_markdown(doc, digest, extracted, sections, fmt="html")
    lines = _first_lines(text, [block.text[:40] for block in source.blocks])
    for block in source.blocks:  # point each block at the line of the page it came from
        block.line = block.end_line = lines.get(block.text[:40], 1)
    if meta is not None:
        source.title = source.title or (meta.title or "")
        source.author = source.author or meta.author
        source.url = source.url or meta.url
        source.publisher = source.publisher or meta.sitename
        if meta.date and source.date is None:
            source.date = frontmatter.as_date(meta.date)
    if not extracted.strip():
        source.diagnostics.append(Diagnostic(doc=doc, severity="warning", code="empty-source",
                                             message="no article text found in this HTML page"))
    return source


def _first_lines(text: str, probes: list[str]) -> dict[str, int]:
    """The first line of `text` holding each probe (probes found on no one line are left out).

    One Aho-Corasick pass over the page for all probes at once: looking for each block's probe
    line by line took blocks x lines (124 s for a 4.5 MB page)."""
    wanted = {p for p in probes if p and "\n" not in p}  # a probe with a line break is on no one line
    if not wanted:
        return {}
    automaton = ahocorasick.Automaton()
    for probe in wanted:
        automaton.add_word(probe, probe)
    automaton.make_automaton()
    first: dict[str, int] = {}
    for end, probe in automaton.iter(text):
        if probe not in first:
            first[probe] = end - len(probe) + 1
            if len(first) == len(wanted):
                break
    breaks = [m.start() for m in re.finditer("\n", text)]
    return {probe: bisect_left(breaks, start) + 1 for probe, start in first.items()}


def split_sentences(blocks: list[Block]) -> list[Sentence]:
    """Every sentence of the text blocks, with the line it starts on and a unique anchor."""
    out: list[Sentence] = []
    used: dict[str, int] = {}
    for index, block in enumerate(blocks):
        if block.kind not in _SENTENCE_BLOCKS:
            continue
        line, counted = block.line, 0  # lines counted up to each sentence, not from the block's start
        for start, end in sentences.spans(block.text):
            line += block.text.count("\n", counted, start)
            counted = start
            body = block.text[start:end]
            anchor = sentences.anchor(body)
            if anchor in used:  # the same sentence twice in one source: keep both, apart
                used[anchor] += 1
                anchor = f"{anchor}-{used[anchor]}"
            else:
                used[anchor] = 1
            out.append(Sentence(anchor=anchor, text=re.sub(r"\s*\n\s*", " ", body), block_index=index,
                                line=line))
    return out


def _title_from_text(source: Source) -> str | None:
    """No title anywhere: the first sentence, cut at a colon or dash, at most 80 characters."""
    if not source.sentences:
        return None
    first = re.split(r"[:—–]| - ", source.sentences[0].text)[0].strip().rstrip(".")
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"
