#!/usr/bin/env python3
"""Generate a synthetic Obsidian-style vault for benchmarking kg.

Usage: python bench/make_vault.py N [--out DIR] [--seed S] [--sources M] [--force]

Writes DIR (default: bench/vaults/vault-N beside this script) holding kg.toml (one comment
line), notes/ and sources/. The N notes (300-1,500 words, uniform) sit in nested folders,
e.g. notes/area-3/topic-12/<name>.md, with names unique across folders. Each has YAML front
matter, an H1 and 4-8 "##" sections (Summary, Key insights, Evidence, ...) of paragraphs and
lists with figures (3–5%, $3.48/M tokens, 6 of 8, ...), inline #tags, 5-25 [[wikilinks]]
(some |label, #Heading or ![[embed]]; ~3% unresolved), block ids (^b12), Dataview fields
(supports:: [[x]]) and, in ~10% of notes, a fenced code block holding [[not-a-link]].
The M sources (default N // 10) are sources/src-0001.md with front matter or, ~20%, plain
.txt; Evidence sections cite them as [[sources/src-0012]], without extension even for .txt.
The same N, M and seed give the same vault. A non-empty DIR is refused unless --force,
which deletes DIR/notes and DIR/sources (nothing else) first. Standard library only.
"""
from __future__ import annotations

import argparse
import calendar
import itertools
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HEADINGS = ["Summary", "Key insights", "Evidence", "Implications", "Details",
            "Contradictions / tensions", "Open questions", "Related"]
ADJ = ("open closed frontier commodity proprietary open-weight hosted marginal durable enterprise "
       "agentic multimodal sovereign cheaper larger smaller dominant emerging permissive regional "
       "quantised distilled").split()
NOUN = ("model inference cost benchmark licence quality gap training serving margin premium buyer "
        "provider market lab ecosystem release runtime pipeline price token latency workload "
        "strategy moat adoption dataset evaluation throughput cluster vendor regulator").split()
VERBS = [v.split("/") for v in ("narrows/narrow widens/widen drives/drive reduces/reduce "
         "undercuts/undercut shapes/shape limits/limit explains/explain outperforms/outperform "
         "tracks/track erodes/erode offsets/offset matches/match lags/lag").split()]
OPENERS = ["In practice,", "By contrast,", "Over time,", "For most buyers,", "On current evidence,",
           "As a rule,", "Put simply,", "Historically,", "At scale,", "In the short run,"]
TAILS = ["across most benchmarks", "at high token volumes", "for enterprise buyers",
         "in the long run", "on agentic tasks", "once serving costs are counted",
         "for regulated industries", "after the last release cycle", "in most regions",
         "relative to closed providers", "under the current licence terms", "on long contexts"]
ENTITIES = ["Kestrel-4", "Atlas Pro", "Orion 3.1", "Nimbus Labs", "Halcyon AI", "Vega-70B",
            "Northwind", "Cobalt Systems", "Lumen 2", "Quill-8x7B", "Meridian", "Basalt-1T"]
FIRST = ("Jane Amir Maria Kenji Lena Tomas Priya Oluwaseun Chen Sofia Marcus Ines Ravi Nadia "
         "Yusuf Elena Hiro Grace Mateo Aisha Jonas Mei Pavel Zara").split()
LAST = ("Doe Haddad Okafor Tanaka Novak Reyes Iyer Adeyemi Wei Lindqvist Brandt Moreau Kapoor "
        "Silva Nakamura Osei Kowalski Ferreira Ahmed Larsen Romano Park Quinn Dubois").split()
ORGS = ("Cobalt Meridian Basalt Halcyon Northwind Quill Vega Lumen Atlas Kestrel Orion Cinder "
        "Juniper Solace Tessera Harbor Aurora Granite").split()
ORG_SUFFIX = ["Labs", "AI", "Systems", "Research", "Institute", "Capital", "Cloud"]
TAGS = ["ai/models", "ai/inference", "ai/training", "economics", "economics/pricing",
        "open-source", "policy/licensing", "benchmarks", "strategy", "hardware/gpu", "markets"]
PUBLISHERS = ["Signal Weekly", "The Inference Review", "Compute Ledger", "Model Markets",
              "Open Weights Digest", "Frontier Brief"]
CODE_SPANS = ["`kg build`", "`temperature=0.2`", "`max_tokens`", "`int8`", "`vllm serve`"]
CONNECT = ["(see {})", "(cf. {})", "per {}", "as {} argues", "according to {}", "with {}"]
WITH_FIGURE = ["{a} {v} {b} by {f} {t}", "the {n} between {a} and {b} is {f}",
               "{a} {v} {b}, at roughly {f}", "{a} {v} {b} ({f})", "{a} {v} {b} {t}, about {f}"]
PLAIN = ["{o} {a} {v} {b} {t}", "{a} {v} {b}", "{a} {v} {b} {t}", "{o} {a} {v} {b}"]
QUESTIONS = ["does {a} {base} {b} {t}", "how large is the {n} gap {t}",
             "will {a} still {base} {b} in {m} months", "why does {a} {base} {b}"]
FIGURES = [  # the quantity forms kg must parse; d is an en dash (80%) or a hyphen
    lambda r, a, d: f"{a}{d}{a + r.randint(1, 9)}%",
    lambda r, a, d: f"~{a}%",
    lambda r, a, d: f"{a}{d}{a + r.randint(1, 10)}x",
    lambda r, a, d: f"${r.uniform(0.1, 40):.2f}/M tokens",
    lambda r, a, d: f"${a}B",
    lambda r, a, d: f"{a * r.choice((10, 25, 50))}M MAU",
    lambda r, a, d: f"{r.randint(1, a // 4 + 2)} of {a // 4 + 2}",
    lambda r, a, d: f"{a // 2 + 3}{d}{a // 2 + 6 + r.randint(0, 12)} months",
    lambda r, a, d: f"{r.randint(5, 30) * 100:,}B",
]


@dataclass
class Note:
    idx: int
    name: str
    title: str
    folder: str
    kind: str
    headings: list[str]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def figure(rng: random.Random) -> str:
    return rng.choice(FIGURES)(rng, rng.randint(2, 40), "–" if rng.random() < 0.8 else "-")


def noun_phrase(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(ENTITIES)
    adj = rng.choice(ADJ) + " " if rng.random() < 0.6 else ""
    nouns = " ".join(rng.sample(NOUN, 2)) if rng.random() < 0.3 else rng.choice(NOUN)
    return f"the {adj}{nouns}"


def fill(template: str, rng: random.Random, **extra: str) -> str:
    """Fill a template's {a} {b} (noun phrases), {v}/{base} (verb), {t}, {o}, {n}, {m}."""
    verb = rng.choice(VERBS)
    s = template.format(a=noun_phrase(rng), b=noun_phrase(rng), v=verb[0], base=verb[1],
                        t=rng.choice(TAILS), o=rng.choice(OPENERS), n=rng.choice(NOUN),
                        m=rng.randint(2, 9) * 6, **extra)
    return s[0].upper() + s[1:]


def sentence(rng: random.Random, fig_p: float = 0.35) -> str:
    """A claim-like sentence; with probability fig_p it carries a figure."""
    if rng.random() < fig_p:
        s = fill(rng.choice(WITH_FIGURE), rng, f=figure(rng))
    else:
        s = fill(rng.choice(PLAIN), rng)
    if rng.random() < 0.04:
        s += " #" + rng.choice(TAGS)
    if rng.random() < 0.015:
        s += " using " + rng.choice(CODE_SPANS)
    return s + "."


def make_title(kind: str, rng: random.Random) -> str:
    if kind == "person":
        return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if kind == "org":
        return f"{rng.choice(ORGS)} {rng.choice(ORG_SUFFIX)}"
    if kind == "question":
        return fill("Does the {n} {base} {b}", rng)
    return fill(f"{rng.choice(ADJ)} {' '.join(rng.sample(NOUN, 2))}", rng)


def plan_notes(n: int, rng: random.Random) -> list[Note]:
    """Names, titles, folders and headings of all notes; an area is a run of consecutive notes."""
    areas = max(2, int(n ** 0.4) // 2)
    topics = max(1, n // 40 // areas)  # topic folders per area
    seen: set[str] = set()
    notes = []
    for idx in range(n):
        kind = rng.choices(["concept", "person", "org", "question"], [70, 10, 8, 12])[0]
        base = make_title(kind, rng)
        title, i = base, 2
        while slug(title) in seen:  # file names are unique across folders
            title, i = f"{base} {i}", i + 1
        seen.add(slug(title))
        area = idx * areas // n
        folder = f"notes/area-{area + 1}"
        if rng.random() > 0.1:
            folder += f"/topic-{area * topics + rng.randrange(topics) + 1}"
        heads = sorted(rng.sample(HEADINGS[1:], rng.randint(3, 7)), key=HEADINGS.index)
        notes.append(Note(idx, slug(title), title, folder, kind, ["Summary"] + heads))
    return notes


def make_link(note: Note, notes: list[Note], rng: random.Random, plain: bool = False) -> str:
    """A wikilink from note: half to nearby notes (mostly its own area), ~3% unresolved."""
    r = 1.0 if plain else rng.random()
    if r < 0.03:
        return f"[[{slug(make_title('concept', rng))}-{rng.choice(['draft', 'todo'])}]]"
    j = note.idx + rng.randint(-40, 40) if rng.random() < 0.5 else rng.randrange(len(notes))
    j = j % len(notes) if j % len(notes) != note.idx else (j + 1) % len(notes)
    target = notes[j]
    if r < 0.13:
        return f"[[{target.name}|{target.title.lower()}]]"
    if r < 0.25:
        return f"[[{target.name}#{rng.choice(target.headings)}]]"
    return f"[[{target.name}]]"


def items(rng: random.Random, fig_p: float, n: int) -> list[str]:
    return [" ".join(sentence(rng, fig_p) for _ in range(rng.randint(1, 2))) for _ in range(n)]


def evidence(rng: random.Random, n_src: int) -> str:
    cite = f" [[sources/src-{rng.randrange(n_src) + 1:04d}]]" if n_src else ""
    return sentence(rng, 0.9)[:-1] + cite + "."


def tension(rng: random.Random) -> str:
    return f"{sentence(rng, 0.6)[:-1]}, whereas {sentence(rng, 0.6).replace('The ', 'the ', 1)}"


def count_words(blocks: list) -> int:
    return sum(len(t.split()) for kind, its in blocks if kind in ("p", "ul", "ol") for t in its)


def section_blocks(head: str, budget: int, rng: random.Random, n_src: int, code: str) -> list:
    """The [kind, items] blocks of one section; add_links fills in the links later."""
    if head == "Related":
        return [["related", [None] * rng.randint(2, 5)]]
    if head == "Open questions":
        return [["ul", [fill(rng.choice(QUESTIONS), rng) + "?" for _ in range(rng.randint(2, 6))]]]
    blocks: list = []
    if head == "Key insights":
        blocks.append(["ol", items(rng, 0.5, rng.randint(3, 6))])
    elif head == "Evidence":
        blocks.append(["ul", [evidence(rng, n_src) for _ in range(rng.randint(2, 6))]])
    elif head == "Contradictions / tensions":
        blocks.append(["ul", [tension(rng) for _ in range(rng.randint(1, 4))]])
    if head in ("Evidence", "Key insights", "Contradictions / tensions") and rng.random() < 0.3:
        blocks.append(["field", ["opposes" if head.startswith("Contra") else "supports", None]])
    if head == code:  # the fenced block's [[not-a-link]] must not count as a link
        blocks.append(["code", [f"```text\n{rng.choice(NOUN)}: [[not-a-link]]\nkg build\n```"]])
    words = count_words(blocks)
    while words < budget:
        n = min(rng.randint(2, 6), (budget - words) // 12 + 1)  # the last block just fits
        after_list = blocks and blocks[-1][0] in ("ul", "ol")  # adjacent lists would merge
        if rng.random() < 0.75 or n < 3 or after_list:
            blocks.append(["p", [sentence(rng) for _ in range(n)]])
        else:
            blocks.append([rng.choice(["ul", "ol"]), items(rng, 0.4, n)])
        words += count_words(blocks[-1:])
    return blocks


def add_links(sections: list, note: Note, notes: list[Note], rng: random.Random) -> None:
    """Fill Related lists and fields, maybe add an embed, inject the rest into sentences."""
    left = rng.randint(5, 25)
    for kind, its in (b for _, bs in sections for b in bs):
        if kind == "related":
            its[:] = [make_link(note, notes, rng) for _ in its]
            left -= len(its)
        elif kind == "field":
            its[1] = make_link(note, notes, rng, plain=True)
            left -= 1
    if rng.random() < 0.15:
        embed = "!" + make_link(note, notes, rng, plain=True)
        rng.choice([bs for h, bs in sections if h != "Related"]).append(["embed", [embed]])
        left -= 1
    slots = [(its, i) for h, bs in sections if h != "Related"
             for kind, its in bs if kind in ("p", "ul", "ol") for i in range(len(its))]
    for its, i in rng.sample(slots, min(len(slots), max(left, 0))):
        link = rng.choice(CONNECT).format(make_link(note, notes, rng))
        its[i] = f"{its[i][:-1]} {link}{its[i][-1]}"  # before the final "." or "?"


def render_block(kind: str, its: list, head: str, rng: random.Random, ids) -> str:
    if kind in ("p", "code", "embed"):
        return " ".join(its)
    if kind == "field":
        return f"{its[0]}:: {its[1]}"
    lines = []
    for n, item in enumerate(its, 1):
        if kind != "related" and head != "Open questions" and rng.random() < 0.12:
            item += f" ^b{next(ids)}"
        lines.append(f"{n}. {item}" if kind == "ol" else f"- {item}")
    return "\n".join(lines)


def yaml_list(key: str, values: list[str]) -> str:
    return f"{key}:" + "".join(f"\n  - {v}" for v in values) if values else f"{key}: []"


def rand_date(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28)


def render_note(note: Note, notes: list[Note], rng: random.Random, n_src: int) -> str:
    budget = rng.randint(300, 1500) - 120  # headings, list markers and links add ~120 words
    fills = [h for h in note.headings if h not in ("Related", "Open questions")]
    code = ("Details" if "Details" in fills else fills[-1]) if rng.random() < 0.1 else ""
    sections, left = [], len(fills)
    for h in note.headings:  # each section gets an equal share of the words still to write
        share = budget // left if h in fills else 0
        left -= h in fills
        sections.append((h, section_blocks(h, share, rng, n_src, code)))
        budget -= count_words(sections[-1][1])
    add_links(sections, note, notes, rng)
    acronym = "".join(w[0] for w in note.title.split()).upper()
    aliases = rng.sample([note.title.lower(), acronym, f"{note.title} (note)"], rng.randint(0, 2))
    y, m, d = rand_date(rng)
    front = ["---", f"title: {note.title}", yaml_list("aliases", aliases),
             yaml_list("tags", rng.sample(TAGS, rng.randint(1, 3))),
             f"type: {note.kind}", f"date: {y}-{m:02d}-{d:02d}", "---", "", f"# {note.title}"]
    ids = itertools.count(rng.randint(1, 900))
    body = [f"\n## {h}\n\n" + "\n\n".join(render_block(*b, h, rng, ids) for b in bs)
            for h, bs in sections]
    return "\n".join(front + body) + "\n"


def render_source(i: int, rng: random.Random) -> tuple[str, str]:
    """(file name, text) of source i: Markdown with front matter or, ~20%, plain text."""
    title = fill("{a} {v} {b}", rng)
    author, publisher = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(PUBLISHERS)
    y, m, d = rand_date(rng)
    paras, words, target = [], 0, rng.randint(300, 1200)
    while words < target:
        paras.append(" ".join(sentence(rng, 0.5) for _ in range(rng.randint(3, 7))))
        words += len(paras[-1].split())
    body = "\n\n".join(paras) + "\n"
    if rng.random() < 0.2:
        return f"src-{i:04d}.txt", f"{title}\n{author} {calendar.month_name[m]} {d}, {y}\n\n{body}"
    url = f"https://{slug(publisher)}.example.com/{y}/{slug(title)}"
    front = (f'---\ntitle: "{title}"\nauthor: {author}\ndate: {y}-{m:02d}-{d:02d}\n'
             f"publisher: {publisher}\nurl: {url}\n---\n\n# {title}\n\n")
    return f"src-{i:04d}.md", front + body


def prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            sys.exit(f"make_vault: {out} exists and is not empty "
                     "(--force replaces its notes/ and sources/)")
        for sub in ("notes", "sources"):
            shutil.rmtree(out / sub, ignore_errors=True)
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "kg.toml").write_text("# synthetic vault from bench/make_vault.py; kg defaults\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Generate a synthetic vault for benchmarking kg.")
    ap.add_argument("n", type=int, help="number of notes (at least 2)")
    ap.add_argument("--out", type=Path, help="output folder (default bench/vaults/vault-N)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--sources", type=int, help="number of sources (default N // 10)")
    ap.add_argument("--force", action="store_true", help="replace notes/ and sources/ in DIR")
    args = ap.parse_args(argv)
    n_src = args.n // 10 if args.sources is None else args.sources
    if args.n < 2 or n_src < 0:
        ap.error("N must be at least 2 and M at least 0")
    out = args.out or Path(__file__).resolve().parent / "vaults" / f"vault-{args.n}"
    start, rng = time.perf_counter(), random.Random(args.seed)
    prepare_out(out, args.force)
    notes = plan_notes(args.n, rng)
    for folder in sorted({n.folder for n in notes}):
        (out / folder).mkdir(parents=True, exist_ok=True)
    size = words = 0
    for note in notes:
        text = render_note(note, notes, rng, n_src)
        words += len(text.split())
        size += (out / note.folder / f"{note.name}.md").write_bytes(text.encode())
    for i in range(1, n_src + 1):
        name, text = render_source(i, rng)
        size += (out / "sources" / name).write_bytes(text.encode())
    print(f"make_vault: {args.n} notes (avg {words // args.n} words), {n_src} sources, "
          f"{size / 1e6:.1f} MB, {time.perf_counter() - start:.1f} s -> {out}")


if __name__ == "__main__":
    main()
