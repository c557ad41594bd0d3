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
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

RELATION_KEYS = {"supports": "supports", "opposes": "opposes", "contradicts": "opposes",
                 "informs": "informs", "source": "source", "same-as": "same-as", "same_as": "same-as"}
"""Relation fields understood as typed edges (Discourse Graphs names), with their aliases."""

_TAG_CHARS = re.compile(r"[\w/-]+", re.UNICODE)
_BLOCK_ID = re.compile(r"\^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*$")
_FIELD_KEY = re.compile(r"([A-Za-z][\w -]{0,40}?)::[ \t]*")


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
        end = state.src.find("]]", start)
        if end < 0 or end > state.posMax:
            return False
        inner = state.src[start:end]
        if not inner.strip() or "\n" in inner or "[" in inner:
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
    line_end = src.find("\n", pos)
    line_end = state.posMax if line_end < 0 or line_end > state.posMax else line_end
    m = _BLOCK_ID.match(src[:line_end], pos)  # only at the end of a line
    if not m:
        return False
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


def _line_field_rule(state: StateInline, silent: bool) -> bool:
    """`key:: value` at the start of a line; the value runs to the end of the line."""
    pos = state.pos
    src = state.src
    if not src[pos].isalpha():
        return False
    line_start = src.rfind("\n", 0, pos) + 1
    if src[line_start:pos].strip():
        return False
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
    opener, closer = "[", "]"
    if src[pos] != opener:
        return False
    m = _FIELD_KEY.match(src, pos + 1)
    if not m:
        return False
    depth, i = 0, m.end()
    while i < state.posMax:
        ch = src[i]
        if ch == opener:
            depth += 1
        elif ch == closer:
            if depth == 0:
                break
            depth -= 1
        elif ch == "\n":
            return False
        i += 1
    else:
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


def obsidian_plugin(md: MarkdownIt) -> None:
    """Add wikilinks, embeds, tags, block ids and Dataview fields to a markdown-it parser."""
    md.inline.ruler.before("text", "line_field", _line_field_rule)
    md.inline.ruler.before("link", "bracket_field", _bracket_field_rule)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule(embed=False))
    md.inline.ruler.before("image", "embed", _wikilink_rule(embed=True))
    md.inline.ruler.push("tag", _tag_rule)
    md.inline.ruler.push("block_id", _block_id_rule)
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
