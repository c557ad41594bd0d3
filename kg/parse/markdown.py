"""Markdown text -> the parts of a `Document`: sections, blocks, links, tags, fields, headings.

One pass over markdown-it's token stream. It records what was written, with lines; what it
means (which file a link reaches) is decided later, in `kg.links`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from kg.config import SectionSettings
from kg.model import Block, Diagnostic, InlineField, LinkRef, Section, SectionRole, Tag
from kg.parse import frontmatter
from kg.parse.syntax import RELATION_KEYS, make_parser, split_wikilink
from kg.paths import heading_anchor

_ROLE_ORDER: tuple[SectionRole, ...] = ("related", "questions", "tensions", "evidence")


MAX_NESTING = 100
"""markdown-it stops at 20 levels of nested blocks (a list item is two) and silently drops the
rest of the construct, and with it the rest of the note; 100 levels parse in milliseconds and stay
far from Python's recursion limit. Deeper text is kept as plain text (see _keep_dropped)."""
_CONTAINERS = {"bullet_list_open", "ordered_list_open", "list_item_open", "blockquote_open", "footnote_open",
               "footnote_reference_open", "footnote_block_open"}
_MARKERS = re.compile(r"^[ \t]*(?:(?:>[ \t]?)|(?:[-*+][ \t]+)|(?:\d{1,9}[.)][ \t]+))*")


@lru_cache(maxsize=1)
def parser():
    md = make_parser()
    md.options["maxNesting"] = MAX_NESTING
    return md


def parse_tokens(md, text: str, env: dict | None = None) -> tuple[list, str, int | None]:
    """markdown-it's tokens of `text` (`md` set to MAX_NESTING), with the lines it would drop past
    that kept as plain text: (tokens, the text they were read from, first kept line or None).
    The parser and the site's renderer both read through this, so they see the same blocks."""
    tokens = md.parse(text, env)
    deep = None
    if any(t.level >= MAX_NESTING - 2 for t in tokens):
        text, deep = _keep_dropped(tokens, text)
        if deep is not None:
            tokens = md.parse(text, env)
    return tokens, text, deep


def role_of(heading: str, sections: SectionSettings) -> SectionRole | None:
    """The role a heading gives its section, or None to inherit the parent's.

    A role matches when one of its words or phrases stands as whole words in the heading:
    "Contradictions / tensions" -> tensions, "Open questions" -> questions."""
    text = " " + re.sub(r"[^\w]+", " ", heading.casefold()).strip() + " "
    for role in _ROLE_ORDER:
        for phrase in getattr(sections, role):
            if f" {phrase.casefold().strip()} " in text:
                return role
    return None


@dataclass
class Parts:
    """What one Markdown file says, as written."""

    meta: dict[str, Any] = field(default_factory=dict)
    front_matter_raw: str = ""
    front_matter_line: int = 0
    h1: str | None = None
    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    fields: list[InlineField] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _is_internal(href: str) -> bool:
    if not href or href.startswith(("#", "//")):
        return False
    return not urlsplit(href).scheme


class _Walker:
    def __init__(self, doc: str, text: str, sections: SectionSettings):
        self.doc = doc
        self.lines = text.split("\n")
        self._cursor: dict[int, int] = {}
        self.settings = sections
        self.out = Parts()
        self.section_stack: list[tuple[int, SectionRole]] = [(0, "claims")]
        self.out.sections.append(Section(heading="", level=0, role="claims", line=1, anchor=""))

    # -- helpers -------------------------------------------------------------
    def col_of(self, line: int, needle: str) -> int:
        """1-based column of `needle` on `line`, searched from the end of the last one found there
        (links come in reading order): from the line's start each time, a paragraph of 20,000
        links cost 3 s, and a repeated link got the first one's column."""
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            start = self._cursor.get(line, 0)
            found = text.find(needle, start)
            if found < 0 and start:
                found = text.find(needle)
            if found >= 0:
                self._cursor[line] = found + len(needle)
                return found + 1
        return 1

    def new_block(self, kind, line: int, end_line: int, depth=0, ordered=False) -> int:
        self.out.blocks.append(Block(kind=kind, text="", line=line, end_line=end_line,
                                     section=len(self.out.sections) - 1, depth=depth, ordered=ordered))
        return len(self.out.blocks) - 1

    # -- structure -----------------------------------------------------------
    def walk(self, tokens) -> Parts:
        list_depth = 0
        ordered_stack: list[bool] = []
        quote_depth = 0
        item_block: list[int | None] = []  # per open list item: its block index, once made
        table_block: int | None = None
        footnote = False
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            kind = tok.type
            if kind == "front_matter":
                self.front_matter(tok)
            elif kind == "heading_open":
                self.heading(tok, tokens[i + 1])
                i += 2
            elif kind in ("bullet_list_open", "ordered_list_open"):
                list_depth += 1
                ordered_stack.append(kind == "ordered_list_open")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                list_depth -= 1
                ordered_stack.pop()
            elif kind == "list_item_open":
                item_block.append(None)
            elif kind == "list_item_close":
                item_block.pop()
            elif kind == "blockquote_open":
                quote_depth += 1
            elif kind == "blockquote_close":
                quote_depth -= 1
            elif kind == "table_open":
                start, end = tok.map or (0, 0)
                table_block = self.new_block("table", start + 1, end)
            elif kind == "table_close":
                table_block = None
            elif kind == "tr_close" and table_block is not None:
                self.out.blocks[table_block].text += "\n"
            elif kind == "footnote_open":
                footnote = True
            elif kind == "footnote_close":
                footnote = False
            elif kind == "inline":
                if table_block is not None:
                    self.inline(tok, table_block, sep=" | ")
                elif item_block:
                    if item_block[-1] is None:
                        start, end = tok.map or (0, 0)
                        item_block[-1] = self.new_block("item", start + 1, end, depth=list_depth - 1,
                                                        ordered=ordered_stack[-1])
                    elif tok.map:
                        self.out.blocks[item_block[-1]].end_line = tok.map[1]
                    self.inline(tok, item_block[-1], sep="\n")
                else:
                    start, end = tok.map or (0, 0)
                    if self.standalone_block_id(tok):
                        i += 1
                        continue
                    kind = "footnote" if footnote else "quote" if quote_depth else "paragraph"
                    idx = self.new_block(kind, start + 1, end)
                    self.inline(tok, idx, sep="")
            i += 1
        for block in self.out.blocks:
            block.text = block.text.strip()
        return self.out

    def front_matter(self, tok) -> None:
        first = (tok.map[0] if tok.map else 0) + 2  # the line after the opening ---
        self.out.front_matter_raw = tok.content
        self.out.front_matter_line = first
        meta, diags = frontmatter.load(tok.content, self.doc, first)
        self.out.meta = meta
        self.out.diagnostics.extend(diags)

    def heading(self, tok, inline) -> None:
        level = int(tok.tag[1])
        line = tok.map[0] + 1
        text = self.plain(inline, line, block=None)
        if level == 1 and self.out.h1 is None:
            self.out.h1 = text
        while self.section_stack and self.section_stack[-1][0] >= level:
            self.section_stack.pop()
        parent_role = self.section_stack[-1][1] if self.section_stack else "claims"
        role = role_of(text, self.settings) or parent_role
        self.section_stack.append((level, role))
        anchor = heading_anchor(text)
        self.out.headings.append(anchor)
        self.out.sections.append(Section(heading=text, level=level, role=role, line=line, anchor=anchor))

    def standalone_block_id(self, tok) -> bool:
        """A paragraph that is only `^id` names the block before it (a list or table)."""
        kids = tok.children or []
        if len(kids) == 1 and kids[0].type == "block_id" and self.out.blocks:
            self.out.blocks[-1].block_id = kids[0].meta["id"]
            return True
        return False

    def inline(self, tok, block_idx: int, sep: str) -> None:
        block = self.out.blocks[block_idx]
        text = self.plain(tok, tok.map[0] + 1 if tok.map else block.line, block=block_idx)
        block.text = (block.text + sep + text) if block.text else text

    # -- inline content --------------------------------------------------------
    def plain(self, tok, line: int, block: int | None) -> str:
        """Text of an inline token as a reader sees it; records links, tags, fields, ids."""
        parts: list[str] = []
        field_stack: list[tuple[str, int, int]] = []  # (key, start index in parts, line)
        md_link: dict | None = None
        for child in tok.children or []:
            kind = child.type
            if kind in ("text", "code_inline", "html_inline"):
                parts.append(child.content)
                if md_link is not None:
                    md_link["label"] += child.content
            elif kind in ("softbreak", "hardbreak"):
                parts.append("\n")
                line += 1
            elif kind in ("wikilink", "embed"):
                meta = child.meta
                relation = RELATION_KEYS.get(field_stack[-1][0]) if field_stack else None
                self.out.links.append(LinkRef(
                    target=meta["target"], heading=meta["heading"], block=meta["block"], label=meta["label"],
                    embed=kind == "embed", relation=relation, line=line, col=self.col_of(line, meta["raw"]),
                    block_index=block))
                parts.append(meta["label"] or meta["target"] or meta["heading"] or "")
            elif kind == "tag":
                self.out.tags.append(Tag(name=child.meta["name"], line=line))
                parts.append("#" + child.content)
            elif kind == "block_id":
                if block is not None:
                    self.out.blocks[block].block_id = child.meta["id"]
            elif kind == "field_open":
                field_stack.append((child.meta["key"], len(parts), line))
            elif kind == "field_close" and field_stack:
                key, start, fline = field_stack.pop()
                value = "".join(parts[start:]).strip()
                self.out.fields.append(InlineField(key=key, value=value, line=fline, block_index=block))
                parts.insert(start, f"{key}:: ")
            elif kind == "link_open":
                href = child.attrGet("href") or ""
                md_link = {"href": href, "label": "", "line": line} if _is_internal(href) else None
            elif kind == "link_close" and md_link is not None:
                self.markdown_link(md_link, block, embed=False, field_stack=field_stack)
                md_link = None
            elif kind == "image":
                src = child.attrGet("src") or ""
                parts.append(child.content)
                if _is_internal(src):
                    self.markdown_link({"href": src, "label": child.content, "line": line}, block,
                                       embed=True, field_stack=field_stack)
            elif kind == "footnote_ref":
                continue
        return "".join(parts)

    def markdown_link(self, link: dict, block: int | None, embed: bool, field_stack) -> None:
        path, _, anchor = unquote(link["href"]).partition("#")
        if not path:
            return
        heading = block_id = None
        if anchor.startswith("^"):
            block_id = anchor[1:]
        elif anchor:
            heading = anchor
        relation = RELATION_KEYS.get(field_stack[-1][0]) if field_stack else None
        self.out.links.append(LinkRef(
            target=posixpath.normpath(path) if not path.startswith("/") else path, heading=heading,
            block=block_id, label=link["label"].strip() or None, embed=embed, syntax="markdown",
            relation=relation, line=link["line"], col=self.col_of(link["line"], link["href"]),
            block_index=block))


def parse(doc: str, text: str, sections: SectionSettings) -> Parts:
    """Parse one Markdown file's text (already decoded) into its parts."""
    tokens, text, deep = parse_tokens(parser(), text)
    parts = _Walker(doc, text, sections).walk(tokens)
    if deep is not None:
        parts.diagnostics.append(Diagnostic(
            doc=doc, line=deep + 1, severity="warning", code="deep-nesting",
            message=f"lists or quotes nest deeper than kg reads here (lists {MAX_NESTING // 2} levels, quotes "
                    f"{MAX_NESTING}); the deeper lines are read as plain text"))
    if text.startswith("---\n") and not any(t.type == "front_matter" for t in tokens[:1]):
        parts.diagnostics.append(Diagnostic(
            doc=doc, line=1, severity="error", code="bad-front-matter",
            message="front matter opened with '---' is never closed; add a closing '---' line"))
    _front_matter_links(parts, doc)
    return parts


def _keep_dropped(tokens, text: str) -> tuple[str, int | None]:
    """The text with the lines markdown-it dropped past its nesting limit stripped of their list
    and quote markers (so they read as plain text on the same lines), and the first such line
    (0-based); None when no line was dropped."""
    lines = text.split("\n")
    covered = [0] * (len(lines) + 1)
    for t in tokens:  # containers span what they dropped too: only the blocks inside them count
        if t.map and t.type not in _CONTAINERS:
            covered[t.map[0]] += 1
            covered[min(t.map[1], len(lines))] -= 1
    depth, first = 0, None
    for n, line in enumerate(lines):
        depth += covered[n]
        if depth <= 0 and line.strip():
            lines[n] = _MARKERS.sub("", line)
            first = n if first is None else first
    return ("\n".join(lines), first) if first is not None else (text, None)


def _front_matter_links(parts: Parts, doc: str) -> None:
    """`sources: ["[[sources/x]]"]` and other linking properties become links."""
    for key, value in parts.meta.items():
        for body in frontmatter.wikilinks_in(value):
            meta = split_wikilink(body)
            line = frontmatter.key_line(parts.front_matter_raw, key, parts.front_matter_line)
            relation = "source" if key.casefold() in ("source", "sources") else RELATION_KEYS.get(key.casefold())
            parts.links.append(LinkRef(target=meta["target"], heading=meta["heading"], block=meta["block"],
                                       label=meta["label"], relation=relation, line=line, col=1))
