"""Obsidian syntax as markdown-it-py inline rules: wikilinks, embeds, tags, block ids, fields.

Each rule returns quickly when the text at the cursor cannot start its syntax, records what it
parsed in `token.meta`, and leaves meaning (which file a link points at) to `kg.links`. Because
these are inline rules, nothing inside code spans or fenced code is ever seen by them.

Tokens produced:
- `wikilink` / `embed`: meta = {target, heading, block, label, raw}
- `tag`: meta = {name}
- `block_id`: meta = {id}
- `field_open` ... `field_close`: meta = {key}; the value's tokens lie between them
"""

from __future__ import annotations

import re
from bisect import bisect_left
from html import escape

from markdown_it import MarkdownIt, rules_inline
from markdown_it.rules_inline import StateInline

RELATION_KEYS = {"supports": "supports", "opposes": "opposes", "contradicts": "opposes",
                 "informs": "informs", "source": "source", "same-as": "same-as", "same_as": "same-as"}
"""Relation fields understood as typed edges (Discourse Graphs names), with their aliases."""

_TAG_CHARS = re.compile(r"[\w/-]+", re.UNICODE)
_BLOCK_ID = re.compile(r"\^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*")
_FIELD_KEY = re.compile(r"([A-Za-z][\w -]{0,40}?)::[ \t]*")
_WIKILINK_STOP = re.compile(r"\[|\n|\]\]")
_BRACKETS = re.compile(r"[\[\]\n]")
_LINK_ENDS = re.compile(r"\]\(")
_NOT_BRACKET_RUN = re.compile(r"[^\[!]")

# Every rule below looks at the text around the cursor only as far as its own syntax can reach,
# or through a table computed once per paragraph (`_scan`): markdown-it tries the rules at every
# bracket, so a rule that searched to the end of the paragraph made a 1 MB paragraph of `[[`,
# `[a:: `, `a!` or ` ^a` quadratic (24-120 s).


class _Scan:
    """What the bracket rules need to know about one paragraph, found in one pass when first asked."""

    __slots__ = ("src", "closers", "link_ends")

    def __init__(self, src: str):
        self.src = src
        self.closers: dict[int, int] | None = None
        self.link_ends: list[int] | None = None

    def closer(self, opener: int) -> int:
        """The `]` that closes the `[` at `opener` on its line (brackets nest), or -1."""
        if self.closers is None:
            self.closers, stack = {}, []
            for m in _BRACKETS.finditer(self.src):
                ch = m.group()
                if ch == "[":
                    stack.append(m.start())
                elif ch == "]":
                    if stack:
                        self.closers[stack.pop()] = m.start()
                else:
                    stack.clear()
        return self.closers.get(opener, -1)

    def link_end_after(self, pos: int) -> int:
        """Where the first `](` at or after `pos` starts, or -1."""
        if self.link_ends is None:
            self.link_ends = [m.start() for m in _LINK_ENDS.finditer(self.src)]
        i = bisect_left(self.link_ends, pos)
        return self.link_ends[i] if i < len(self.link_ends) else -1


def _scan(state: StateInline) -> _Scan:
    """The scan of the paragraph a state reads, kept on the state (one per inline parse)."""
    scan = getattr(state, "_kg_scan", None)
    if scan is None or scan.src is not state.src:
        scan = _Scan(state.src)
        state._kg_scan = scan
    return scan


def split_wikilink(inner: str) -> dict[str, str | None]:
    """`target#heading|label` -> parts. `#^id` is a block; nested headings keep the last one."""
    target, _, label = inner.partition("|")
    target = target.replace("\\", "")  # `\|` escapes the pipe inside tables
    target, _, anchor = target.partition("#")
    heading = block = None
    if anchor.startswith("^"):
        block = anchor[1:].strip() or None
    elif anchor:
        heading = anchor.split("#")[-1].strip() or None
    return {"target": target.strip(), "heading": heading, "block": block,
            "label": label.strip() or None}


def _wikilink_rule(embed: bool):
    opener = "![[" if embed else "[["

    def rule(state: StateInline, silent: bool) -> bool:
        pos = state.pos
        if not state.src.startswith(opener, pos):
            return False
        start = pos + len(opener)
        # the first `]]`, unless a `[` or a line break comes first: the target holds neither
        stop = _WIKILINK_STOP.search(state.src, start, min(len(state.src), state.posMax + 2))
        if stop is None or stop.group() != "]]":
            return False
        end = stop.start()
        inner = state.src[start:end]
        if not inner.strip():
            return False
        if not silent:
            token = state.push("embed" if embed else "wikilink", "", 0)
            token.meta = {**split_wikilink(inner), "raw": state.src[pos:end + 2]}
            token.content = inner
        state.pos = end + 2
        return True

    return rule


def _tag_rule(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    src = state.src
    if src[pos] != "#" or (pos > 0 and not src[pos - 1].isspace() and src[pos - 1] not in "(,"):
        return False
    m = _TAG_CHARS.match(src, pos + 1)
    if not m:
        return False
    name = m.group(0).rstrip("/-")
    if not name or name.replace("/", "").isdigit():  # `#1` is a number, not a tag
        return False
    if not silent:
        token = state.push("tag", "", 0)
        token.meta = {"name": name.casefold()}
        token.content = name
    state.pos = pos + 1 + len(name)
    return True


def _block_id_rule(state: StateInline, silent: bool) -> bool:
    pos = state.pos
    src = state.src
    if src[pos] != "^" or (pos > 0 and not src[pos - 1].isspace()):
        return False
    m = _BLOCK_ID.match(src, pos, state.posMax)
    if not m or (m.end() < state.posMax and src[m.end()] != "\n"):
        return False  # only at the end of a line
    line_end = m.end()
    if not silent:
        token = state.push("block_id", "", 0)
        token.meta = {"id": m.group(1)}
    state.pos = line_end
    return True


def _push_field(state: StateInline, key: str, value_start: int, value_end: int, after: int) -> None:
    """Emit field_open, the value's own inline tokens, field_close; continue at `after`."""
    token = state.push("field_open", "span", 1)
    token.meta = {"key": key.strip().casefold()}
    old_max = state.posMax
    state.pos, state.posMax = value_start, value_end
    state.md.inline.tokenize(state)
    state.posMax = old_max
    state.push("field_close", "span", -1)
    state.pos = after


def _bracket_run_rule(state: StateInline, silent: bool) -> bool:
    """A run of `[` and `!` where nothing can start, kept as text in one step instead of one
    character at a time through every rule (1 MB of `[[`: 5 s in markdown-it's loop alone).

    `!` without `[` starts nothing. With no `](` ahead and no reference definitions no link or
    image can close; a wikilink or embed stops at the next `[` of the run, and a field or
    footnote needs a letter or `^` after its `[`: so everything up to the third last `[` of the
    run is text. No other rule of kg's parser (make_parser) starts at `[` or `!`. Never in a
    look-ahead (`silent`): markdown-it counts a link label's brackets one step at a time."""
    pos = state.pos
    src = state.src
    if silent or src[pos] not in "[!":
        return False
    end = _NOT_BRACKET_RUN.search(src, pos, state.posMax)
    end = end.start() if end else state.posMax
    last = src.rfind("[", pos, end)
    if last >= 0:
        if "references" in state.env or _scan(state).link_end_after(pos) >= 0:
            return False
        end = last - 2
    if end <= pos:
        return False
    state.append_pending(src[pos:end])
    state.pos = end
    return True


def _line_field_rule(state: StateInline, silent: bool) -> bool:
    """`key:: value` at the start of a line; the value runs to the end of the line."""
    pos = state.pos
    src = state.src
    if not src[pos].isalpha():
        return False
    k = pos - 1
    while k >= 0 and src[k] != "\n" and src[k].isspace():
        k -= 1
    if k >= 0 and src[k] != "\n":
        return False  # something other than white space before it on its line
    m = _FIELD_KEY.match(src, pos)
    if not m:
        return False
    line_end = src.find("\n", pos)
    line_end = state.posMax if line_end < 0 or line_end > state.posMax else line_end
    if silent:
        state.pos = line_end
        return True
    _push_field(state, m.group(1), m.end(), line_end, line_end)
    return True


def _bracket_field_rule(state: StateInline, silent: bool) -> bool:
    """`[key:: value]` anywhere in a line; the value may hold links."""
    pos = state.pos
    src = state.src
    if src[pos] != "[":
        return False
    m = _FIELD_KEY.match(src, pos + 1)
    if not m:
        return False
    i = _scan(state).closer(pos)  # the key holds no brackets: the value ends where the `[` closes
    if i < 0 or i >= state.posMax:
        return False
    if silent:
        state.pos = i + 1
        return True
    _push_field(state, m.group(1), m.end(), i, i + 1)
    return True


# Render rules: plain, safe HTML. The site replaces `wikilink`/`embed` with resolved links.
def _render_wikilink(self, tokens, idx, options, env):
    meta = tokens[idx].meta
    text = meta["label"] or meta["target"] or meta["heading"] or ""
    return f'<span class="wikilink" data-target="{escape(meta["target"])}">{escape(text)}</span>'


def _render_tag(self, tokens, idx, options, env):
    return f'<span class="tag">#{escape(tokens[idx].content)}</span>'


def _render_block_id(self, tokens, idx, options, env):
    return ""


def _render_field_open(self, tokens, idx, options, env):
    key = tokens[idx].meta["key"]
    return f'<span class="field" data-key="{escape(key)}"><span class="field-key">{escape(key)}::</span> '


def _render_field_close(self, tokens, idx, options, env):
    return "</span>"


def _needs_link_end(rule, offset: int):
    """markdown-it's link (offset 0) or image (offset 1) rule, answering no at once when there is
    no `](` after the bracket and the document defines no references: a link then cannot close.
    markdown-it looks for the label's `]` by trying every rule at every bracket up to maxNesting
    levels deep, ~100 steps a bracket, 70 s for 1 MB of `[[` even where nothing could be a link."""
    def guarded(state: StateInline, silent: bool) -> bool:
        pos = state.pos
        if (state.src[pos] == "[" if offset == 0 else state.src.startswith("![", pos)) \
                and "references" not in state.env:
            end = _scan(state).link_end_after(pos + offset + 1)
            if end < 0 or end + 1 >= state.posMax:
                return False
        return rule(state, silent)
    return guarded


def obsidian_plugin(md: MarkdownIt) -> None:
    """Add wikilinks, embeds, tags, block ids and Dataview fields to a markdown-it parser."""
    md.inline.ruler.before("text", "line_field", _line_field_rule)
    md.inline.ruler.before("text", "bracket_run", _bracket_run_rule)
    md.inline.ruler.before("link", "bracket_field", _bracket_field_rule)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule(embed=False))
    md.inline.ruler.before("image", "embed", _wikilink_rule(embed=True))
    md.inline.ruler.push("tag", _tag_rule)
    md.inline.ruler.push("block_id", _block_id_rule)
    md.inline.ruler.at("link", _needs_link_end(rules_inline.link, 0))
    md.inline.ruler.at("image", _needs_link_end(rules_inline.image, 1))
    md.add_render_rule("wikilink", _render_wikilink)
    md.add_render_rule("embed", _render_wikilink)
    md.add_render_rule("tag", _render_tag)
    md.add_render_rule("block_id", _render_block_id)
    md.add_render_rule("field_open", _render_field_open)
    md.add_render_rule("field_close", _render_field_close)


def make_parser() -> MarkdownIt:
    """The one Markdown parser kg uses: CommonMark + tables + strikethrough + front matter +
    footnotes + Obsidian syntax, with raw HTML off."""
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin).use(footnote_plugin).use(obsidian_plugin)
    return md
