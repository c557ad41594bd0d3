"""A note's Markdown -> safe HTML for its page: links resolved, embeds inlined, callouts drawn.

The parser is kg's own (`kg.parse.syntax.make_parser`: CommonMark with raw HTML off), so the
text a user wrote reaches the page only as markdown-it renders it, escaped. On top of it:
- `[[wikilinks]]` and Markdown links to notes become relative links to the target's page, as
  resolved by the build (`kg.links`); a target with no note is marked `missing`;
- `![[embeds]]` of a note (or of one heading or block of it) are rendered inline, three deep at
  most and never in a loop; embedded images are copied into `site/files/`;
- Obsidian callouts (`> [!note] Title`, foldable with `+`/`-`) become boxes;
- headings get the anchors `[[note#Heading]]` uses, and `^block-id` blocks the ids
  `[[note#^block-id]]` uses;
- images from the web are not loaded (the site makes no request outside itself): they become
  links; a link or image whose address is not http, https or mailto (`javascript:`, `data:`)
  is shown as its text (kg.publish.urls.safe_href).
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from html import escape
from typing import Protocol
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kg.model import Link
from kg.parse.markdown import MAX_NESTING, parse_tokens
from kg.parse.syntax import make_parser
from kg.paths import heading_anchor
from kg.publish import urls

MAX_EMBED_DEPTH = 3
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp")
_CALLOUT = re.compile(r"^\[!([\w-]+)\]([+-]?)[ \t]*(.*)$")


class Linker(Protocol):
    """What the renderer asks of the site: where a link goes, and the text of an embedded note."""

    def href(self, row: Link, page: str) -> str | None: ...
    def embed_source(self, row: Link) -> tuple[str, str] | None: ...
    def tag_href(self, tag: str, page: str) -> str: ...
    def attachment(self, doc: str, page: str) -> str: ...
    def rows_of(self, doc: str) -> dict[tuple, Link]: ...
    def has_anchor(self, doc: str | None, heading: str | None = None, block: str | None = None) -> bool: ...
    def target_title(self, row: Link) -> str | None: ...


def block_anchor(block_id: str) -> str:
    """The HTML id of a `^block-id` block: `b-block-id`."""
    return "b-" + block_id


@lru_cache(maxsize=1)
def renderer() -> MarkdownIt:
    md = make_parser()
    md.options["maxNesting"] = MAX_NESTING  # the parser's depth, so the page shows what was read
    md.core.ruler.push("kg_callouts", _callouts)
    md.core.ruler.push("kg_ids", _ids)
    md.core.ruler.push("kg_embed_blocks", _embed_blocks)
    for name, rule in _RULES.items():
        md.add_render_rule(name, rule)
    return md


def render(text: str, doc: str, page: str, rows: dict[tuple, Link], linker: Linker,
           title: str | None = None, depth: int = 0, seen: frozenset[str] = frozenset()) -> str:
    """HTML of a note's Markdown `text` for the page `page`. `rows` are the note's resolved links
    by (target, heading, block); a first `# heading` equal to `title` is left out (the page shows it)."""
    md = renderer()
    env = {"doc": doc, "page": page, "rows": rows, "linker": linker, "depth": depth,
           "seen": seen | {doc}, "title": title}
    tokens = parse_tokens(md, text, env)[0]
    if title is not None:
        _drop_title(tokens, title)
    return md.renderer.render(tokens, md.options, env)


def _drop_title(tokens: list[Token], title: str) -> None:
    for i, tok in enumerate(tokens):
        if tok.type == "front_matter":
            continue
        if tok.type == "heading_open" and tok.markup in ("#", "=") and heading_anchor(tokens[i + 1].content) == heading_anchor(title):
            for t in tokens[i:i + 3]:
                t.hidden = True
                t.type = "kg_hidden"
        return


# -- core rules ------------------------------------------------------------------------------
def _callouts(state) -> None:
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type != "blockquote_open" or i + 2 >= len(tokens) or tokens[i + 2].type != "inline":
            continue
        inline = tokens[i + 2]
        first, _, _ = inline.content.partition("\n")
        m = _CALLOUT.match(first)
        if not m:
            continue
        kind, fold, title = m.group(1).lower(), m.group(2), m.group(3).strip()
        kids = inline.children or []
        cut = next((k for k, child in enumerate(kids) if child.type in ("softbreak", "hardbreak")), len(kids))
        inline.children = kids[cut + 1:]
        inline.content = inline.content[len(first) + 1:]
        if not inline.children:
            tokens[i + 1].hidden = tokens[i + 3].hidden = True
            tokens[i + 1].type = tokens[i + 3].type = "kg_hidden"
        meta = {"callout": kind, "title": title or kind.replace("-", " ").capitalize(), "fold": fold}
        tok.meta = meta
        level = tok.level
        for close in tokens[i + 1:]:
            if close.type == "blockquote_close" and close.level == level:
                close.meta = meta
                break


def _ids(state) -> None:
    """Heading anchors, and `^block-id` ids on the paragraph, item or table they name (not inside
    an embed: the embedded note's own page holds those ids, and one page must not repeat an id)."""
    tokens = state.tokens
    if state.env.get("depth"):
        return
    for i, tok in enumerate(tokens):
        if tok.type in ("heading_open", "heading_close") and tok.tag == "h1":
            tok.tag = "h2"  # the page's title is its one h1
        if tok.type == "heading_open" and i + 1 < len(tokens):
            text = "".join(c.content for c in tokens[i + 1].children or [] if c.type in ("text", "code_inline"))
            tok.attrSet("id", heading_anchor(text or tokens[i + 1].content))
        if tok.type != "inline" or not tok.children:
            continue
        ids = [c.meta["id"] for c in tok.children if c.type == "block_id"]
        if not ids:
            continue
        if len(tok.children) == 1 and i >= 1 and tokens[i - 1].type == "paragraph_open":
            target = _previous_block(tokens, i - 1)  # a lone `^id` line names the list or table above
            for t in tokens[i - 1:i + 2]:
                t.type = "kg_hidden"
        else:
            target = _opener(tokens, i)
        if target is not None:
            target.attrSet("id", block_anchor(ids[-1]))


def _embed_blocks(state) -> None:
    """A paragraph holding an embedded note becomes a <div>: a note's blocks cannot sit in a <p>."""
    tokens, rows = state.tokens, state.env.get("rows", {})
    for i, tok in enumerate(tokens):
        if tok.type != "inline" or i == 0 or tokens[i - 1].type != "paragraph_open":
            continue
        for child in tok.children or []:
            meta = child.meta if child.type == "embed" else None
            row = rows.get((meta["target"], meta["heading"], meta["block"])) if meta else None
            if row is not None and row.target_kind == "note":
                tokens[i - 1].tag = tokens[i + 1].tag = "div"
                tokens[i - 1].attrSet("class", "para")
                break


def _opener(tokens: list[Token], i: int) -> Token | None:
    """The visible block that holds the inline token at i: its paragraph, or its list item
    (the paragraphs of a tight list are hidden), heading or table cell."""
    for t in reversed(tokens[:i]):
        if t.nesting == 1 and (t.type in ("list_item_open", "heading_open", "td_open", "th_open")
                               or (t.type == "paragraph_open" and not t.hidden)):
            return t
    return None


def _previous_block(tokens: list[Token], i: int) -> Token | None:
    j = i - 1
    while j >= 0 and tokens[j].nesting != -1:
        j -= 1
    if j < 0:
        return None
    close = tokens[j]
    kind = close.type.replace("_close", "_open")
    for k in range(j - 1, -1, -1):
        if tokens[k].type == kind and tokens[k].level == close.level:
            return tokens[k]
    return None


# -- render rules ----------------------------------------------------------------------------
def _row(env: dict, target: str, heading: str | None, block: str | None) -> Link | None:
    return env["rows"].get((target, heading, block))


def _anchor_of(row: Link, linker: Linker) -> str:
    """The fragment of a link into a heading or block, if the target has it (else none: the
    link still reaches the page, and `kg check` reports the missing anchor)."""
    if row.block and linker.has_anchor(row.target_doc, block=row.block):
        return "#" + block_anchor(row.block)
    if row.heading and linker.has_anchor(row.target_doc, heading=row.heading):
        return "#" + heading_anchor(row.heading)
    return ""


def _link(env: dict, row: Link | None, text: str, written: str) -> str:
    if row is None:
        return f'<span class="link missing" title="not resolved: {escape(written)}">{escape(text)}</span>'
    href = env["linker"].href(row, env["page"])
    if href is None:
        return f'<span class="link missing">{escape(text)}</span>'
    cls = "link missing" if row.target_kind == "missing" else f"link {row.target_kind}"
    rel = f' data-relation="{escape(row.relation)}"' if row.relation not in ("links_to", "embeds") else ""
    extra = ' title="No note yet"' if row.target_kind == "missing" else ""
    return f'<a class="{cls}" href="{escape(href + _anchor_of(row, env["linker"]))}"{rel}{extra}>{escape(text)}</a>'


def _wikilink(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    written = meta["target"] or ""
    row = _row(env, written, meta["heading"], meta["block"]) if written else None
    name = env["linker"].target_title(row) if row is not None and row.target_kind in ("note", "source") else None
    name = name or written  # a resolved link reads as its target's title, as in the claims
    text = meta["label"] or (f"{name} › {meta['heading']}" if meta["heading"] and name else
                             name or meta["heading"] or meta["block"] or "")
    if not written:  # [[#Heading]] inside the same note
        linker = env["linker"]
        if meta["block"] and linker.has_anchor(env["doc"], block=meta["block"]):
            anchor = block_anchor(meta["block"])
        elif meta["heading"] and linker.has_anchor(env["doc"], heading=meta["heading"]):
            anchor = heading_anchor(meta["heading"])
        else:
            return f'<span class="link missing" title="no such heading or block in this note">{escape(text)}</span>'
        return f'<a class="link note" href="#{escape(anchor)}">{escape(text)}</a>'
    return _link(env, row, text, written)


def _embed(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    written = meta["target"] or ""
    row = _row(env, written, meta["heading"], meta["block"])
    label = meta["label"] or written
    if row is None or row.target_kind == "missing":
        return _link(env, row, label, written)
    linker: Linker = env["linker"]
    if row.target_kind == "file":
        src = linker.attachment(row.target_id, env["page"])
        if row.target_id.lower().endswith(IMAGE_SUFFIXES):
            return f'<img class="embed-image" src="{escape(src)}" alt="{escape(meta["label"] or "")}" loading="lazy">'
        return f'<a class="link file" href="{escape(src)}">{escape(label)}</a>'
    if row.target_kind != "note":
        return _link(env, row, label, written)
    if env["depth"] >= MAX_EMBED_DEPTH or row.target_doc in env["seen"]:
        why = "embedded in itself" if row.target_doc in env["seen"] else "embedded too deep"
        return _link(env, row, label, written) + f' <span class="embed-skipped">({why})</span>'
    found = linker.embed_source(row)
    if found is None:
        return _link(env, row, label, written)
    text, target_doc = found
    target_rows = linker.rows_of(target_doc)
    inner = render(text, target_doc, env["page"], target_rows, linker, depth=env["depth"] + 1, seen=env["seen"])
    head = _link(env, row, label, written)
    return f'<div class="embed" role="note"><div class="embed-title">{head}</div>{inner}</div>'


def _tag(self, tokens, idx, options, env) -> str:
    name = tokens[idx].meta["name"]
    href = env["linker"].tag_href(name, env["page"])
    return f'<a class="tag" href="{escape(href)}">#{escape(tokens[idx].content)}</a>'


def _field_open(self, tokens, idx, options, env) -> str:
    key = tokens[idx].meta["key"]
    return f'<span class="field" data-key="{escape(key)}"><span class="field-key">{escape(key)}</span> '


def _link_open(self, tokens, idx, options, env) -> str:
    tok = tokens[idx]
    href = tok.attrGet("href") or ""
    if _internal(href):
        path, _, anchor = unquote(href).partition("#")
        target = posixpath.normpath(path) if path and not path.startswith("/") else path
        heading = block = None
        if anchor.startswith("^"):
            block = anchor[1:]
        elif anchor:
            heading = anchor
        row = _row(env, target, heading, block) if path else None
        if row is not None:
            resolved = env["linker"].href(row, env["page"])
            if resolved is not None:
                tok.attrSet("href", resolved + _anchor_of(row, env["linker"]))
                tok.attrSet("class", f"link {row.target_kind}")
                return self.renderToken(tokens, idx, options, env)
        if path:
            tok.attrSet("class", "link missing")
            tok.attrs.pop("href", None)
            tok.tag = "span"
            _retag_close(tokens, idx, "span")
        return self.renderToken(tokens, idx, options, env)
    if href.startswith("#"):
        return self.renderToken(tokens, idx, options, env)
    safe = urls.safe_href(href)
    if safe is None:  # javascript:, data:, ftp:, //host...: the text stays, the link goes
        close = _close_of(tokens, idx)
        if close is not None:
            close.type = "kg_hidden"
        return ""
    tok.attrSet("href", safe)
    tok.attrSet("class", "external")
    tok.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


def _close_of(tokens: list[Token], idx: int) -> Token | None:
    """The link_close of the link opened at idx."""
    depth = 0
    for t in tokens[idx + 1:]:
        if t.type == "link_open":
            depth += 1
        elif t.type == "link_close":
            if depth == 0:
                return t
            depth -= 1
    return None


def _retag_close(tokens: list[Token], idx: int, tag: str) -> None:
    close = _close_of(tokens, idx)
    if close is not None:
        close.tag = tag


def _image(self, tokens, idx, options, env) -> str:
    tok = tokens[idx]
    src = tok.attrGet("src") or ""
    alt = self.renderInlineAsText(tok.children or [], options, env)
    if _internal(src):
        path = posixpath.normpath(unquote(src).partition("#")[0])
        row = _row(env, path, None, None)
        if row is not None and row.target_kind == "file":
            return (f'<img class="embed-image" src="{escape(env["linker"].attachment(row.target_id, env["page"]))}"'
                    f' alt="{escape(alt)}" loading="lazy">')
        return f'<span class="link missing">{escape(alt or src)}</span>'
    safe = urls.safe_href(src)
    if not safe:  # no address, or one that is not the web's (javascript:, data:): its text only
        return escape(alt or src)
    # the site never loads anything from outside itself: a remote image becomes a link to it
    return f'<a class="external image-link" href="{escape(safe)}" rel="noopener noreferrer">{escape(alt or src)}</a>'


def _internal(href: str) -> bool:
    """As the parser decides (kg.parse.markdown): no scheme and not a fragment is a vault link."""
    return bool(href) and not href.startswith(("#", "//")) and not urlsplit(href).scheme


def _blockquote_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta or {}
    if "callout" not in meta:
        return self.renderToken(tokens, idx, options, env)
    kind, title = escape(meta["callout"]), escape(meta["title"])
    ident = tokens[idx].attrGet("id")
    id_attr = f' id="{escape(ident)}"' if ident else ""
    if meta["fold"]:
        opened = " open" if meta["fold"] == "+" else ""
        return (f'<details class="callout" data-callout="{kind}"{id_attr}{opened}>'
                f'<summary class="callout-title">{title}</summary><div class="callout-body">\n')
    return (f'<div class="callout" data-callout="{kind}" role="note"{id_attr}>'
            f'<p class="callout-title">{title}</p><div class="callout-body">\n')


def _blockquote_close(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta or {}
    if "callout" not in meta:
        return self.renderToken(tokens, idx, options, env)
    return "</div></details>\n" if meta["fold"] else "</div></div>\n"


def _nothing(self, tokens, idx, options, env) -> str:
    return ""


_RULES = {"wikilink": _wikilink, "embed": _embed, "tag": _tag, "field_open": _field_open,
          "link_open": _link_open, "image": _image, "blockquote_open": _blockquote_open,
          "blockquote_close": _blockquote_close, "kg_hidden": _nothing, "front_matter": _nothing}
