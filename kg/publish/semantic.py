"""Search by meaning on the static site, in the browser, with no server and no model.

The site's search box fuses Pagefind (words) with a meaning search that runs in plain
JavaScript (`assets/semantic.js`) on two files the writer puts in `site/semantic/`:

- `table.bin`, the same for every vault: for each of the model's 30,522 WordPiece tokens, the
  model's own sentence vector of that token alone (`[CLS] token [SEP]`, pooled and normalised by
  kg's ONNX graph), product-quantised to 96 bytes (96 sub-vectors of 4 dimensions, 256 centroids
  each), with the vocabulary. It is computed once per machine and kept beside the ONNX model
  (`kg.search.embed.model_cache()`), written whole or not at all.
- `vault.bin`, the vault's own: a vector for each unit (each note passage, each source window and
  its sentences, each page's title and aliases): the real model's vector that `kg build` already
  made for search, centred, plus STATIC_SHARE of the unit's text embedded as a query is, in int8;
  which page and anchor each unit belongs to, the text a result shows, and how many passages
  hold each token (the query's token weights).

A query is WordPiece-tokenised in the browser; its vector is the weighted mean of its tokens'
rows (weight: the token's idf in the vault, smoothed towards a Zipf prior from the token's rank
in the vocabulary), normalised, minus the mean static vector of the vault's passages. It is
compared with every unit: a source window scores SENTENCE_SHARE of its best sentence and the
rest of its own, a passage of a questions section QUESTION_SHARE of its score, and a page its
best unit. The JavaScript and `StaticSearch` below compute the same thing (the tests compare
them); bench/static_search_scifact.py measures it on SciFact: nDCG@10 0.590 where the real
model's query vector gets 0.677 on the same units (int8 model), and `kg search --mode vector`
0.668 (float model).

Every file starts with kg's mark (`/* kg: `), like the stylesheet and the script, so the writer
knows them as its own even without its manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import orjson

from kg.cache import rows_in, save_atomic
from kg.search.index import MATRICES, copy_rows, let_pages_go, load_matrices
from kg.search.query import SENTENCE_SHARE

TABLE_VERSION = 2
VAULT_VERSION = 1
FOLDER = "semantic"
TABLE = f"{FOLDER}/table.bin"
VAULT = f"{FOLDER}/vault.bin"
HEADER_BYTES = 1024
"""The table's header (mark and JSON), padded with spaces: the binary part starts aligned."""
SUBSPACES = 96
"""Product quantisation: 384 dimensions as 96 sub-vectors of 4. On SciFact (static query against
the real vectors of passages, sentences and titles) nDCG@10: float table 0.577, 96 sub-vectors
(2.9 MB) 0.571, 64 (2.0 MB) 0.555, 48 (1.5 MB) 0.536; a PCA of the table to 128 dimensions in
int8 (3.9 MB) 0.42 (the table's main directions are not the ones that tell passages apart).
With the shipped vectors: float table 0.599, 96 sub-vectors 0.595."""
CENTROIDS = 256
KMEANS_SAMPLE = 10_000
KMEANS_ROUNDS = 12
"""k-means of each sub-space on a sample of the tokens (then every token gets its nearest
centroid): about 35 s on 2 shared cores instead of 114 s on all tokens with 20 rounds, for the
same nDCG@10 within 0.004."""
EMBED_BATCH = 1024
FIRST_WORD = 1996
"""The first id of BERT's word list proper ('the'); from there the vocabulary runs from frequent
to rare, and the ids below it are special tokens, unused slots and single characters."""
PRIOR_SCALE = math.exp(-1.808)
PRIOR_EXPONENT = 0.564
"""Zipf prior of the share of passages that hold a token: PRIOR_SCALE * rank ** -PRIOR_EXPONENT,
rank counted from FIRST_WORD (least-squares fit of log share on log rank over SciFact's 9,978
passages)."""
PRIOR_PASSAGES = 300
"""The prior counts as this many passages: a small vault's idf leans on it (in the demo vault,
'behind' occurs in no passage and 'how' in 11 of 444: by the vault alone both would outweigh
'models'), a large one's on its own counts. SciFact nDCG@10: vault idf 0.571, this 0.571, the
prior alone 0.542."""
QUESTION_SHARE = 0.8
"""A passage of a note's questions section scores this share of its cosine: a question shares the
words and the meaning of a query but does not answer it (kg.search.query.QUESTION_WEIGHT, for
the same reason). In the demo vault, "how far behind are open models" found the open question
"Can open models close the vision and long-horizon gaps listed in quality-gap?" first and the
quality gap page second; with 0.8 the quality gap page comes first."""
STATIC_SHARE = 0.25
"""Each unit's vector is its real one plus this share of its text embedded as a query is (with the
table): the query meets the units both in the model's space and in its own. SciFact nDCG@10 with
the float model: real vectors alone 0.568, static alone 0.541, real + 0.25 static 0.595, + 0.5
static 0.594, + 1.0 static 0.585 (the same bytes); with the int8 model: 0.563, 0.542, 0.590,
0.593, 0.588 (0.25 kept: the shares differ by less than 809 queries tell apart)."""
UNITS_VERSION = 4
"""How units are made and kept (2: static vectors no longer rounded to float16 by a cache; 3: kept
per file, Segments; 4: their int8 vectors in a file of their own): units kept by another are made
again."""
REFRESH_SHARE = 0.02
"""The units' static vectors are weighed by the token counts of the build that last weighed them
all; an edit embeds only its new texts with those, until the vault's passages or token counts
have moved by this share since, when every text is weighed afresh (as a search engine refreshes
its idf now and then, not at every document). The browser weighs queries by the same counts (they
are in vault.bin), so query and units always agree."""
MAX_QUERY_TOKENS = 256
MAX_ALIASES = 8
"""A concept's page is found by its title and up to this many of its aliases."""
TEXT_CHARS = 280
"""Text kept for a passage or sentence shown as a result's excerpt."""


class SemanticUnavailable(Exception):
    """Meaning search cannot be prepared here (the message says why); the site keeps Pagefind."""


# -- the token table: once per machine -------------------------------------------------------

def _tokenizer_settings() -> dict:
    """What the browser's tokenizer must do, read from the model's tokenizer.json (and checked to
    be BERT's uncased WordPiece, the only kind semantic.js implements)."""
    from kg.search.embed import weights_dir

    spec = json.loads((weights_dir() / "tokenizer.json").read_text(encoding="utf-8"))
    norm, pre, model = spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}, spec.get("model") or {}
    lowercase = bool(norm.get("lowercase"))
    strip = norm.get("strip_accents")
    if (norm.get("type") != "BertNormalizer" or pre.get("type") != "BertPreTokenizer" or model.get("type") != "WordPiece"
            or not norm.get("clean_text") or not norm.get("handle_chinese_chars")):
        raise SemanticUnavailable("the model's tokenizer is not BERT's WordPiece, which the site's search implements")
    added = spec.get("added_tokens") or []
    if any(t.get("normalized") or t.get("lstrip") or t.get("rstrip") or t.get("single_word") for t in added):
        raise SemanticUnavailable("the model's tokenizer has added tokens of a kind the site's search does not read")
    vocab = model["vocab"]
    tokens = [""] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    if any("\n" in t for t in tokens):
        raise SemanticUnavailable("the model's vocabulary holds a line break")
    return {"lowercase": lowercase, "strip_accents": lowercase if strip is None else bool(strip),
            "unk": vocab[model.get("unk_token", "[UNK]")], "prefix": model.get("continuing_subword_prefix", "##"),
            "max_word_chars": int(model.get("max_input_chars_per_word", 100)),
            "added": [[t["content"], t["id"]] for t in added], "tokens": tokens}


def table_path() -> Path:
    """Where this machine keeps the table: beside the ONNX model, named by what it is made from."""
    from kg.search.embed import WEIGHTS_SHA256, Embedder, model_cache

    key = hashlib.blake2b(f"{WEIGHTS_SHA256}\n{Embedder.model_id}\n{TABLE_VERSION}\n{SUBSPACES}".encode(),
                          digest_size=6).hexdigest()
    return model_cache() / f"all-minilm-l6-v2-static-{key}.bin"


@contextlib.contextmanager
def _locked(path: Path):
    """One process computes the table; the others wait, then read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        yield
    finally:
        os.close(fd)


def ensure_table(embedder_factory: Callable[[], object] | None = None, progress=None) -> Path:
    """The table file, computed on first use (about a minute on 2 cores, once per machine)."""
    path = table_path()
    if _table_ok(path):
        return path
    with _locked(path):
        if _table_ok(path):  # another process made it while this one waited
            return path
        shared = embedder_factory is None
        if shared:
            from kg.search.embed import shared_embedder as embedder_factory
        data = compute_table(embedder_factory(), progress)
        save_atomic(path, lambda f: f.write(data))
        if shared:  # the model and the arrays the table was made with go back to the system: a fresh
            from kg.memory import give_back  # machine's cold 10k build kept 210 MB of them to its peak,
            from kg.search.embed import let_model_go  # the meaning search's (1,623 MB, against 1,486 MB)

            let_model_go()
            give_back()
        for old in path.parent.glob("all-minilm-l6-v2-static-*.bin*"):  # tables of other versions
            if old.name not in (path.name, path.name + ".lock"):
                old.unlink(missing_ok=True)
    return path


def _table_ok(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER_BYTES)
            meta = json.loads(head.split(b"\n")[1])
            return (meta.get("version") == TABLE_VERSION
                    and os.fstat(f.fileno()).st_size == meta["size"])
    except (OSError, ValueError, IndexError, KeyError, TypeError):
        return False


def token_vectors(embedder, count: int, progress=None, cls: int = 101, sep: int = 102) -> np.ndarray:
    """The model's sentence vector of each token id alone, [CLS] id [SEP] (rows by id), from the
    Embedder's onnxruntime session (ids in, pooled and normalised vectors out)."""
    session = getattr(embedder, "session", None)
    if session is None:
        raise SemanticUnavailable("the embedder has no onnxruntime session to embed single tokens with")
    out = None
    for start in range(0, count, EMBED_BATCH):
        ids = np.arange(start, min(count, start + EMBED_BATCH), dtype=np.int64)
        seq = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], 1)
        feed = {}
        for arg in session.get_inputs():
            feed[arg.name] = (np.ones_like(seq) if "mask" in arg.name else np.zeros_like(seq) if "type" in arg.name
                              else seq)
        rows = session.run(None, feed)[0].astype(np.float32)
        if out is None:
            out = np.zeros((count, rows.shape[1]), dtype=np.float32)
        out[start:start + len(ids)] = rows
        if progress:
            progress("Preparing meaning search for the site", min(start + EMBED_BATCH, count), count)
    return out


def _kmeans(points: np.ndarray, k: int, rounds: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = points[rng.choice(len(points), k, replace=False)].copy()
    sq = (points ** 2).sum(1)
    for _ in range(rounds):
        nearest = (sq[:, None] - 2 * points @ centres.T + (centres ** 2).sum(1)[None]).argmin(1)
        counts = np.bincount(nearest, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, points)
        used = counts > 0
        centres[used] = sums[used] / counts[used, None]
        # an empty centroid keeps its place (a point of the sample): rare with 256 of 10,000
    return centres


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product quantisation: (codebooks [SUBSPACES, CENTROIDS, width], codes [tokens, SUBSPACES])."""
    count, dim = table.shape
    width = dim // SUBSPACES
    rng = np.random.default_rng(0)
    sample = rng.choice(count, min(KMEANS_SAMPLE, count), replace=False)
    books = np.zeros((SUBSPACES, CENTROIDS, width), dtype=np.float32)
    codes = np.zeros((count, SUBSPACES), dtype=np.uint8)
    for m in range(SUBSPACES):
        part = np.ascontiguousarray(table[:, m * width:(m + 1) * width])
        centres = _kmeans(part[sample], CENTROIDS, KMEANS_ROUNDS, seed=m)
        books[m] = centres
        codes[:, m] = ((part ** 2).sum(1)[:, None] - 2 * part @ centres.T + (centres ** 2).sum(1)[None]).argmin(1)
    return books, codes


def compute_table(embedder, progress=None) -> bytes:
    """The table file's bytes: header, codebooks (float32), codes (uint8), vocabulary (lines)."""
    settings = _tokenizer_settings()
    tokens = settings.pop("tokens")
    started = time.perf_counter()
    added = dict(settings["added"])
    vectors = token_vectors(embedder, len(tokens), progress, added.get("[CLS]", 101), added.get("[SEP]", 102))
    embedded = time.perf_counter()
    books, codes = quantise(vectors)
    vocab = "\n".join(tokens).encode("utf-8")
    size = HEADER_BYTES + books.nbytes + codes.nbytes + len(vocab)
    from kg.search.embed import Embedder

    meta = {"version": TABLE_VERSION, "model": Embedder.model_id, "size": size, "tokens": len(tokens),
            "dim": int(vectors.shape[1]), "subspaces": SUBSPACES, "centroids": CENTROIDS,
            "books": HEADER_BYTES, "codes": HEADER_BYTES + books.nbytes,
            "vocab": HEADER_BYTES + books.nbytes + codes.nbytes, **settings,
            "seconds": [round(embedded - started, 1), round(time.perf_counter() - embedded, 1)]}
    head = b"/* kg: meaning search table: one vector per WordPiece token (see kg/publish/semantic.py) */\n" \
        + json.dumps(meta, separators=(",", ":")).encode() + b"\n"
    if len(head) > HEADER_BYTES:
        raise SemanticUnavailable("the table's header is too long")
    return head.ljust(HEADER_BYTES, b" ") + books.astype("<f4").tobytes() + codes.tobytes() + vocab


class Table:
    """The table read back: its settings and its vectors (float32, rows by token id), decoded from
    the product quantisation when first asked for whole (0.4 s); `rows` decodes only some."""

    def __init__(self, vectors: np.ndarray | None, meta: dict, tokens: list[str],
                 books: np.ndarray | None = None, codes: np.ndarray | None = None):
        self._vectors, self.meta, self.tokens, self._books, self._codes = vectors, meta, tokens, books, codes

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self._decode(slice(None))
        return self._vectors

    def rows(self, ids) -> np.ndarray:
        """The vectors of these token ids."""
        return self._vectors[ids] if self._vectors is not None else self._decode(np.asarray(ids, dtype=np.int64))

    def _decode(self, ids) -> np.ndarray:
        codes = self._codes[ids]
        return np.concatenate([self._books[j][codes[:, j]] for j in range(self._books.shape[0])],
                              axis=1).astype(np.float32)

    def lookup(self) -> _Rows:
        """A stand-in for `vectors` that decodes the rows asked for: for a few texts."""
        return _Rows(self)


class _Rows:
    def __init__(self, table: Table):
        self.table, self.shape = table, (table.meta["tokens"], table.meta["dim"])

    def __getitem__(self, ids) -> np.ndarray:
        return self.table.rows(ids)


def read_table(path: Path) -> Table:
    data = path.read_bytes()
    meta = json.loads(data[:HEADER_BYTES].split(b"\n")[1])
    n, dim, m, k = meta["tokens"], meta["dim"], meta["subspaces"], meta["centroids"]
    books = np.frombuffer(data, dtype="<f4", count=m * k * (dim // m), offset=meta["books"]).reshape(m, k, dim // m)
    codes = np.frombuffer(data, dtype=np.uint8, count=n * m, offset=meta["codes"]).reshape(n, m)
    tokens = data[meta["vocab"]:].decode("utf-8").split("\n")
    return Table(None, meta, tokens, books, codes)


# -- the vault's vectors -----------------------------------------------------------------------

def model_tokenizer():
    """The model's own tokenizer (`tokenizers`), as the browser's must behave: no special tokens,
    no padding, no truncation (queries are cut at MAX_QUERY_TOKENS tokens)."""
    from tokenizers import Tokenizer

    from kg.search.embed import weights_dir

    tok = Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


TOKEN_CHUNK = 4_096
"""Texts tokenised at a time: the tokenizer's encodings of all 80k passages of a 10k vault at once,
with their ids as Python ints, held 0.6 GB; a chunk at a time, as uint16 arrays, 0.03 GB."""


def token_ids(tokenizer, texts: list[str]) -> list[np.ndarray]:
    """The token ids of each text (uint16: the vocabulary's 30,522 ids fit), without offsets."""
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)  # (tokenizers >= 0.20: no offsets)
    out: list[np.ndarray] = []
    for start in range(0, len(texts), TOKEN_CHUNK):
        out += [np.array(e.ids, dtype=np.uint16) for e in encode(texts[start:start + TOKEN_CHUNK],
                                                                 add_special_tokens=False)]
    return out


def token_weights(df: np.ndarray, passages: int, unk: int) -> np.ndarray:
    """Each token's weight in a query or passage vector: -log of the share of passages holding it,
    smoothed towards the Zipf prior (PRIOR_PASSAGES); [UNK] weighs nothing. semantic.js computes
    the same from the same counts."""
    rank = np.maximum(np.arange(len(df), dtype=np.float64) - (FIRST_WORD - 1), 1.0)
    prior = np.minimum(PRIOR_SCALE * rank ** -PRIOR_EXPONENT, 1.0)
    weights = -np.log((df + PRIOR_PASSAGES * prior) / (passages + PRIOR_PASSAGES))
    weights[unk] = 0.0
    return weights


def static_vector(ids, table: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the tokens' rows, normalised (zero when no token weighs anything)."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        return np.zeros(table.shape[1], dtype=np.float64)
    vector = (table[ids].astype(np.float64) * weights[ids, None]).sum(0)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-12 else vector * 0.0


def static_vectors(seqs: list[list[int]], table: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """static_vector of each token list (float32 rows); one call each was faster here than
    summing the weighted rows of many lists at once (1.2 s against 2.8-6.2 s for 10k passages)."""
    out = np.zeros((len(seqs), table.shape[1]), dtype=np.float32)
    for i, seq in enumerate(seqs):
        out[i] = static_vector(seq, table, weights)
    return out


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


def _save_npz(path: Path, **arrays) -> None:
    """Write a cache file whole or not at all (a cache that cannot be written is only slower)."""
    try:
        save_atomic(path, lambda f: np.savez(f, **arrays))
    except OSError:
        pass


class Basis:
    """What every unit's vector is made on besides its own (`.kg/semantic-static.npz`): the token
    counts the units were weighed by (vault.bin carries them, so the browser weighs a query alike),
    the centre of their static vectors and the mean of their real ones. Kept until the vault's
    counts drift past REFRESH_SHARE, when every unit is weighed afresh."""

    def __init__(self, path: Path | None, table: Table):
        self.path = path
        self.table = hashlib.blake2b(json.dumps(table.meta, sort_keys=True).encode(), digest_size=8).hexdigest()
        self.df: np.ndarray | None = None
        self.passages = 0
        self.centre: np.ndarray | None = None
        self.mean: np.ndarray | None = None
        self.changed = False
        if path is None:
            return
        try:
            with np.load(path) as data:
                if str(data["table"]) == self.table:
                    self.df, self.passages, self.centre, self.mean = (
                        data["df"], int(data["passages"]), data["centre"], data["mean"])
        except (OSError, ValueError, KeyError):
            self.df = None

    def fits(self, df: np.ndarray, passages: int) -> bool:
        """Whether the vault's counts are still within REFRESH_SHARE of those the units were weighed by."""
        return (self.df is not None and self.df.shape == df.shape and self.passages > 0
                and abs(passages - self.passages) <= REFRESH_SHARE * self.passages
                and float(np.abs(df - self.df).sum()) <= REFRESH_SHARE * float(self.df.sum()))

    def refresh(self, df: np.ndarray, passages: int, centre: np.ndarray, mean: np.ndarray) -> None:
        self.df, self.passages, self.centre, self.mean, self.changed = df, passages, centre, mean, True

    def digest(self) -> str:
        """All of it, with the table and how units are made: the unit cache's key."""
        h = hashlib.blake2b(f"{self.table} {self.passages} {STATIC_SHARE} {VAULT_VERSION} {UNITS_VERSION}".encode(),
                            digest_size=12)
        for array in (self.df, self.centre, self.mean):
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()

    def save(self) -> None:
        if self.path is not None and self.changed:
            _save_npz(self.path, table=np.array(self.table), df=self.df, passages=np.array(self.passages),
                      centre=self.centre, mean=self.mean)


class TokenCache:
    """Token ids of texts seen by the last build (`.kg/semantic-tokens.npz`), so that a rebuild
    tokenises only new text (5 s for SciFact's 10k passages here); written whole or not at all."""

    def __init__(self, path: Path | None, tokenizer):
        self.path, self.tokenizer = path, tokenizer
        self.known: dict[bytes, np.ndarray] = {}
        self.used: dict[bytes, np.ndarray] = {}
        if path is not None:
            try:
                with np.load(path) as data:
                    keys, ends, ids = data["keys"], data["ends"], data["ids"]
                starts = np.r_[0, ends[:-1]]
                self.known = {k.tobytes(): ids[a:b] for k, a, b in zip(keys, starts, ends)}
            except (OSError, ValueError, KeyError):
                self.known = {}

    def __call__(self, texts: list[str]) -> list[np.ndarray]:
        keys = [text_key(t) for t in texts]
        todo = {k: t for k, t in zip(keys, texts) if k not in self.known and k not in self.used}
        if todo:
            for k, seq in zip(todo, token_ids(self.tokenizer, list(todo.values()))):
                self.used[k] = seq
        out = []
        for k in keys:
            seq = self.used.get(k)
            if seq is None:
                seq = self.used[k] = self.known[k]
            out.append(seq)
        return out

    def save(self) -> None:
        if self.path is None or set(self.used) == set(self.known):
            return
        keys = list(self.used)
        seqs = [self.used[k] for k in keys]
        _save_npz(self.path, keys=np.frombuffer(b"".join(keys), dtype="V12"),
                  ends=np.cumsum([len(q) for q in seqs], dtype=np.int64),
                  ids=np.concatenate(seqs) if seqs else np.zeros(0, np.uint16))


@dataclass
class Units:
    """What the browser scores: pages, and units (a page's title, a passage, a source sentence)
    with their vectors (centred, normalised, int8 with a scale per row)."""

    pages: list[tuple[str, str]]
    """(page path in the site, title)."""
    page: np.ndarray
    kind: np.ndarray
    """0 title, 1 passage, 2 sentence of the passage `group`, 3 passage of a questions section."""
    group: np.ndarray
    anchor: list[str]
    text: list[str]
    codes: np.ndarray
    scales: np.ndarray
    passages: int
    df: np.ndarray
    centre: np.ndarray
    full: list[str] | None
    """Each unit's whole text (not shipped; None when the units came from the unit cache)."""
    real: np.ndarray | None
    """The real model's vectors of the units, centred and normalised (float32, not shipped; None
    when the units came from the unit cache)."""
    static: np.ndarray | None
    """The units' texts embedded as a query is, with the table (float32, not shipped; None with
    the unit cache)."""


def combine(units: Units, share: float) -> Units:
    """The units with vectors real + share x static, in int8: one dot product scores both."""
    codes, scales = _int8(units.real + share * units.static)
    return replace(units, codes=codes, scales=scales)

    @property
    def vectors(self) -> np.ndarray:
        return self.codes.astype(np.float32) * self.scales[:, None]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TEXT_CHARS:
        return text
    cut = text[:TEXT_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "\u2026"


def _int8(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scales = np.maximum(np.abs(matrix).max(1), 1e-12) / 127.0
    codes = np.clip(np.round(matrix / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales.astype(np.float32)


FEW_TEXTS = 2_000
"""Up to this many new units, only their tokens' rows of the table are decoded."""
BLOCK = 16_384
"""Rows per block where a whole matrix would be copied (16k rows of 384 floats: 25 MB)."""


def _mean_rows(matrix: np.ndarray) -> np.ndarray:
    """The mean row of a matrix, summed a block at a time (no float64 copy of it, and a heap's
    `Gathered` view is never read whole)."""
    total = np.zeros(matrix.shape[1], dtype=np.float64)
    for start in range(0, len(matrix), BLOCK):
        total += np.asarray(matrix[start:start + BLOCK]).sum(0, dtype=np.float64)
    return (total / max(len(matrix), 1)).astype(np.float32)


def _centre_rows(matrix: np.ndarray, mean: np.ndarray) -> None:
    """Each row minus `mean`, then normalised: in place, a block of rows at a time."""
    for start in range(0, len(matrix), BLOCK):
        block = matrix[start:start + BLOCK]
        block -= mean
        block /= np.maximum(np.linalg.norm(block, axis=1, keepdims=True), 1e-9)


def _int8_mixed(real: np.ndarray, static: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """`_int8(real + share * static)`, a block of rows at a time."""
    codes = np.zeros(real.shape, dtype=np.int8)
    scales = np.zeros(len(real), dtype=np.float32)
    for start in range(0, len(real), BLOCK):
        part = slice(start, start + BLOCK)
        codes[part], scales[part] = _int8(real[part] + share * static[part])
    return codes, scales


class _Kept(NamedTuple):
    """What Segments keeps of one file (a JSON list in its meta)."""

    hash: str
    """Its hash in the search index when its units were made, with how its links read then
    (`gather`'s `shown_digest`); empty: make them again next time."""
    page: str | None
    title: str
    """The title of its first unit's item (its page's, unless the page is named otherwise)."""
    items: int
    """How many passages it has in the index (they count for the vault's token counts)."""
    first: int
    end: int
    """Its units: rows first to end of the kept arrays."""
    token_first: int
    token_end: int
    """Its passages' distinct tokens: kept.tokens[token_first:token_end]."""


_APART = "\x1e"
"""Between the kept anchors and excerpts: ASCII's record separator, which no excerpt holds (Python
counts it as white space, and `_excerpt` splits on that)."""


class Segments:
    """What the last gather made of each indexed file (`.kg/semantic-units.npz`): its units in
    index order (kind, sentence group within the file, anchor, excerpt, the keys of the unit's real
    vector and text, int8 vector and scale), its passages' distinct tokens (the vault's counts are
    their sum), the page it was shown on; and the title units by key. Kept for the basis
    (Basis.digest) and the names (`context`) it was made on: while those stand, a file whose index
    hash and page are the same is not read again, and an edit reads, tokenises and makes only its
    own files' units (at 10k notes, gathering all 171k units took 6.5 s of a one-note edit)."""

    def __init__(self, path: Path | None, dim: int, context: str):
        self.path, self.context = path, context
        self.basis = ""
        self.names = ""
        """The names the vault's links were resolved against when these were made
        (kg.index.names_fingerprint): while they stand, an unchanged file's links read as they did."""
        self.docs: dict[str, _Kept] = {}
        self.keys = np.zeros(0, dtype="V24")
        self.codes = np.zeros((0, dim), dtype=np.int8)
        self.scales = np.zeros(0, dtype=np.float32)
        self.kind = np.zeros(0, dtype=np.uint8)
        self.group = np.zeros(0, dtype=np.int32)
        self.anchor: list[str] = []
        self.text: list[str] = []
        self.tokens = np.zeros(0, dtype=np.uint16)
        self.df: np.ndarray | None = None
        self.titles: dict[bytes, int] = {}
        """Title unit key -> its row of title_codes and title_scales."""
        self.title_codes, self.title_scales = self.codes, self.scales
        if path is None:
            return
        try:
            with np.load(path) as data:
                meta = json.loads(data["meta"].tobytes())
                if meta.get("version") != UNITS_VERSION or meta.get("context") != context:
                    return
                arrays = {name: data[name] for name in ("keys", "scales", "kind", "group", "tokens", "df",
                                                       "title_keys", "title_codes", "title_scales")}
                words = data["words"].tobytes().decode("utf-8").split(_APART)
            arrays["codes"] = np.load(self._codes_path(str(meta["codes"])), mmap_mode="r")
        except (OSError, ValueError, KeyError, UnicodeDecodeError):
            return
        count = len(arrays["keys"])
        try:  # a cache another build left half written, or another kg: every unit is made again
            docs = {doc: _Kept(*r) for doc, r in meta.get("docs", {}).items()}
            whole = (len(arrays["codes"]) == len(arrays["scales"]) == len(arrays["kind"]) == len(arrays["group"]) == count
                     and len(words) == 2 * count and arrays["codes"].shape[1:] == (dim,)
                     and arrays["codes"].dtype == np.int8
                     and all(0 <= r.first <= r.end <= count and 0 <= r.token_first <= r.token_end <= len(arrays["tokens"])
                             for r in docs.values()))
        except (TypeError, AttributeError):
            return
        if not whole:
            return
        self.basis, self.docs, self.anchor, self.text = meta["basis"], docs, words[:count], words[count:]
        self.names = meta.get("names", "")
        for name in ("keys", "codes", "scales", "kind", "group", "tokens", "df"):
            setattr(self, name, arrays[name])
        self.titles = dict(zip(arrays["title_keys"].tolist(), range(len(arrays["title_keys"]))))
        self.title_codes, self.title_scales = arrays["title_codes"], arrays["title_scales"]

    def _codes_path(self, name: str) -> Path:
        return self.path.with_name(f"{self.path.stem}.{name}.npy")

    def save(self, basis: str, docs: dict[str, _Kept], keys: np.ndarray, codes: np.ndarray, scales: np.ndarray,
             kind: np.ndarray, group: np.ndarray, anchor: list[str], text: list[str], tokens: np.ndarray,
             df: np.ndarray, shift: int, source: np.ndarray, names: str = "") -> None:
        """Keep this build's units: the first `shift` rows are titles, the others the files' units
        (`group` counted from the first of those; `source`: each one's row in the kept units, -1 for
        one made now; `names`: see `self.names`). The units' int8 vectors go to a file of their own,
        named in the rest: most are copied from the last one by the kernel (kg.search.index.save_rows)."""
        if self.path is None:
            return
        words = _APART.join(anchor + text)
        if words.count(_APART) != max(2 * len(anchor) - 1, 0):  # (excerpts have no such character: they are split on it)
            return
        from kg.search.index import save_rows

        name = secrets.token_hex(6)
        if isinstance(self.codes, np.memmap) and (source >= 0).any():
            save_rows(self._codes_path(name), self.codes, source, codes[shift:][source < 0])
        else:
            save_atomic(self._codes_path(name), lambda f: np.save(f, codes[shift:]))
        titles = dict(zip(keys[:shift].tolist(), range(shift)))  # one row per distinct title (its last)
        rows = list(titles.values())
        meta = {"version": UNITS_VERSION, "context": self.context, "basis": basis, "codes": name, "names": names,
                "docs": {doc: list(r) for doc, r in docs.items()}}  # (as lists: orjson writes no named tuple)
        _save_npz(self.path, meta=np.frombuffer(orjson.dumps(meta), dtype=np.uint8),
                  words=np.frombuffer(words.encode("utf-8"), dtype=np.uint8),
                  keys=keys[shift:], scales=scales[shift:], kind=kind, group=group,
                  tokens=tokens, df=df, title_keys=keys[rows], title_codes=codes[rows], title_scales=scales[rows])
        for old in self.path.parent.glob(f"{self.path.stem}.*.npy"):  # the codes no kept units name
            if old.name != self._codes_path(name).name:
                old.unlink(missing_ok=True)


@dataclass
class _File:
    """One file's units as this build makes them (gather)."""

    items: int
    page: str | None
    title: str = ""
    kind: list[int] = field(default_factory=list)
    group: list[int] = field(default_factory=list)
    """The passage unit a sentence belongs to, within the file; -1 for a passage."""
    anchor: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    source: list[tuple[int, int]] = field(default_factory=list)
    """Where each unit's real vector is: (1, row of the item matrix) or (2, row of the sentence matrix)."""
    full: list[str] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    whole: bool = True
    """Every item had its vectors (else the file is made again next time)."""


class _RowOf:
    """Item id -> its row of the index's vectors (the last, should an id be there twice), looked up
    in the sorted ids: a dict of a 10k vault's 80k ids took 0.14 s of an edit that reads one file."""

    def __init__(self, ids: np.ndarray):
        self.sorter = np.argsort(ids, kind="stable")
        self.sorted = ids[self.sorter]

    def get(self, item_id: int) -> int | None:
        at = int(np.searchsorted(self.sorted, item_id, "right")) - 1
        return int(self.sorter[at]) if at >= 0 and self.sorted[at] == item_id else None


def _file_units(doc: str, rows: list[tuple], page: str | None, row_of: _RowOf, lo: np.ndarray, hi: np.ndarray,
                part_keys: dict[int, list[str]] | None, shown: Callable[[str, str], str] | None) -> _File:
    """The units of one file from its index items (id, text, title, sentences, role, key), in order:
    each passage, and after it its sentences when the index holds a vector for each."""
    made = _File(items=len(rows), page=page, passages=[row[1] for row in rows])
    if page is None:
        return made
    for item_id, item_text, title, sentences, role, item_key in rows:
        r = row_of.get(int(item_id))
        if r is None:
            made.whole = False
            continue
        if not made.kind:
            made.title = title or ""
        said = json.loads(sentences or "[]")
        unit = len(made.kind)
        n_parts = int(hi[r] - lo[r])
        made.kind.append(3 if role == "questions" else 1)
        made.group.append(-1)
        made.source.append((1, r))
        made.full.append(item_text)
        keys = [item_key]
        if n_parts and n_parts == len(said):
            made.anchor.append(said[0][1])
            made.text.append("")  # shown through its best sentence
            keys += (part_keys or {}).get(int(item_id), [])[:n_parts]
            for j, (_, sentence_anchor, sentence_text) in enumerate(said):
                made.kind.append(2)
                made.group.append(unit)
                made.anchor.append(sentence_anchor)
                made.text.append(_excerpt(sentence_text))
                made.source.append((2, int(lo[r]) + j))
                made.full.append(sentence_text)
        else:
            made.anchor.append(said[0][1] if said else "")
            made.text.append(_excerpt(shown(doc, item_text) if shown else item_text))
        if part_keys is not None:
            if len(keys) != len(made.full) - unit:
                made.whole = False  # a sentence without its key: made again next time
                keys += [""] * (len(made.full) - unit - len(keys))
            made.keys += [bytes.fromhex(k or "")[:12].ljust(12, b"\0") + text_key(t)
                          for k, t in zip(keys, made.full[unit:])]
    return made


def _read_files(db: sqlite3.Connection, docs: list[str], every: int, keyed: bool) -> tuple[dict, dict | None]:
    """The items of `docs` (doc -> rows in index order) and, when `keyed`, each item's sentence keys."""
    query = "SELECT id, doc, text, title, sentences, role, key FROM items"
    wanted = set(docs)
    if len(docs) > every // 2:  # most files: one pass
        found = [row for row in db.execute(query + " ORDER BY id") if row[1] in wanted]
    else:
        found = sorted(rows_in(db, query + " WHERE doc IN ({})", docs), key=lambda row: row[0])
    items: dict[str, list] = {doc: [] for doc in docs}
    for item_id, doc, *rest in found:
        items[doc].append((item_id, *rest))
    if not keyed:
        return items, None
    part_keys: dict[int, list[str]] = {}
    ids = [row[0] for row in found]
    if len(docs) > every // 2:
        chosen = set(ids)
        rows = ((i, k) for i, k in db.execute("SELECT item, key FROM parts ORDER BY item, rowid") if i in chosen)
    else:
        rows = rows_in(db, "SELECT item, key FROM parts WHERE item IN ({}) ORDER BY item, rowid", ids)
    for item, key in rows:
        part_keys.setdefault(item, []).append(key)
    return items, part_keys


def _distinct_tokens(sequences: list, tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Each sequence's distinct token ids, in sequence order (token ids ascending within each), and
    where each sequence's run ends."""
    if not sequences:
        return np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.int64)
    lengths = np.fromiter((len(q) for q in sequences), dtype=np.int64, count=len(sequences))
    flat = np.concatenate([np.asarray(q, dtype=np.int64) for q in sequences])
    owner = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    pairs = np.sort(owner * tokens + flat)  # (np.unique of numpy 2.4 hashes: 100 times as slow here)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]][:len(pairs)]]
    ends = np.searchsorted(pairs // tokens, np.arange(len(sequences)), "right")
    return (pairs % tokens).astype(np.uint16), ends


def gather(cache_dir: Path, page_of: Callable[[str], str | None], table: Table,
           title_vectors: Callable[[list[str]], np.ndarray], current: dict[str, str] | None = None,
           names: dict[str, list[str]] | None = None, tokenizer=None,
           token_cache: Path | None = None, shown: Callable[[str, str], str] | None = None,
           static_cache: Path | None = None, unit_cache: Path | None = None, context: str = "",
           want_titles: Callable[[list[str]], None] | None = None,
           shown_digest: Callable[[str], str] | None = None, names_key: str = "",
           reads_as: tuple[str, Callable[[str], bool]] | None = None) -> Units | None:
    """The units of a vault from its search index in `cache_dir`: `page_of(doc)` names the page a
    file is shown on (None: not on the site), `title_vectors(texts)` embeds page titles with the
    real model, `current` (file -> hash) leaves out files the index holds in another version,
    `names` gives pages their title and other names (a concept's aliases; a page with no
    passage, such as a stub concept's, is found by them alone); other pages are named by the
    title of their file; `token_cache` keeps the texts' token ids for the next build; `shown(doc,
    text)` gives a passage's text as its page shows it (links by their titles); `static_cache`
    keeps the counts and centres the units were made on (Basis); `unit_cache` keeps what was made
    of each file (Segments) while `context` (what `shown` and `page_of` depend on besides the file
    and `shown_digest`) stays the same: then only files changed, on another page, or whose links
    read otherwise (`shown_digest(doc)`, a hash of what `shown` reads for that file) are read, only
    new units made, `real`, `static` and `full` are None, and `want_titles(names)` is told every
    title whose vector was not asked for. `names_key`: the names the links were resolved against
    (kg.index.names_fingerprint); while they are those of the kept units, a file's links read as
    they did unless the file changed, so only changed files' `shown_digest` is asked for (every
    file's links were decoded for it: 0.2-0.4 s of a one-note edit at 6,571 and 10k notes).
    `reads_as`: (names, `stands(doc)`) when the names are not those of the kept units: if those were
    `names`, a file unchanged for which `stands` says its links read as they did then keeps its
    units too (a note made or deleted at 10k notes: 0.4-0.5 s of decoding every file's links, which
    the build waited 0.2 s for). None when there is no index or nothing to search."""
    folder = Path(cache_dir)
    try:
        from kg.search.index import SearchIndex

        db = SearchIndex(folder).connect()
    except (OSError, sqlite3.Error):
        return None
    with contextlib.closing(db):
        try:
            order = [doc for (doc,) in db.execute("SELECT doc FROM items GROUP BY doc ORDER BY MIN(id)")]
            indexed = dict(db.execute("SELECT doc, hash FROM docs"))
            ids, matrix, part_ids, parts = load_matrices(folder)[:4]
        except (OSError, ValueError, sqlite3.Error):
            return None
        if not len(ids):
            return None
        settings = table.meta
        dim, vocabulary = settings["dim"], settings["tokens"]
        keyed = unit_cache is not None
        ahead = _taken("units", _file_key(unit_cache)) if keyed and not context else None
        kept = ahead[1] if ahead is not None and ahead[0] == dim else Segments(unit_cache, dim, context)
        page_now = {doc: page_of(doc) if current is None or (doc in current and indexed.get(doc) == current[doc])
                    else None for doc in order}
        same_names = bool(names_key) and kept.names == names_key
        stands = reads_as[1] if reads_as is not None and not same_names and kept.names == reads_as[0] else None

        def made_from(doc: str) -> str:  # what a file's units are made from beside its page
            made = indexed.get(doc, "")
            if not shown_digest:
                return made
            r = kept.docs.get(doc)
            if made and r is not None and r.hash.startswith(f"{made}/") and (same_names or (stands and stands(doc))):
                return r.hash  # the file as it was, and the names too (or its links read as they did)
            return f"{made}/{shown_digest(doc)}"

        reuse = {doc for doc in order if (r := kept.docs.get(doc)) and r.hash and r.hash == made_from(doc)
                 and r.page == page_now[doc]}
        tokenizer = tokenizer or _AHEAD.pop("tokenizer", None) or model_tokenizer()
        row_of = _RowOf(ids)
        lo = np.searchsorted(part_ids, ids, "left")
        hi = np.searchsorted(part_ids, ids, "right")
        files: dict[str, _File] = {}
        cache = None

        def read(docs: list[str]) -> None:
            items, part_keys = _read_files(db, docs, len(order), keyed)
            for doc in docs:
                files[doc] = _file_units(doc, items[doc], page_now[doc], row_of, lo, hi, part_keys, shown)

        def tokens_of(texts: list[str]) -> list:
            nonlocal cache
            if len(files) == len(order):  # every file: the token ids of text seen before are kept
                cache = cache or TokenCache(token_cache, tokenizer)
                return cache(texts)
            return token_ids(tokenizer, texts)

        basis = Basis(static_cache, table)
        read([doc for doc in order if doc not in reuse])
        while True:
            # the vault's counts: the kept ones, less the files read again or gone, plus those read now
            new = [doc for doc in order if doc in files]
            runs, ends = _distinct_tokens(tokens_of([t for doc in new for t in files[doc].passages]), vocabulary)
            counts = np.bincount(runs, minlength=vocabulary).astype(np.float64)
            if reuse:
                old = [kept.docs[doc] for doc in kept.docs if doc not in reuse]
                gone = np.concatenate([kept.tokens[r.token_first:r.token_end] for r in old]) if old \
                    else np.zeros(0, np.uint16)
                counts += kept.df - np.bincount(gone, minlength=vocabulary)
            passages = sum(kept.docs[doc].items for doc in reuse) + sum(files[doc].items for doc in new)
            fits = basis.fits(counts, passages)
            if reuse and not (fits and basis.digest() == kept.basis):  # made on other counts: every unit again
                reuse = set()
                read([doc for doc in order if doc not in files])
                continue
            break
        if fits:  # weighed as the kept units were (REFRESH_SHARE), on the kept centres
            df, passages, centre, mean = basis.df, basis.passages, basis.centre.astype(np.float64), basis.mean
            weights = token_weights(df, passages, settings["unk"])
        else:
            df = counts
            weights = token_weights(df, passages, settings["unk"])
            seqs = tokens_of([t for doc in order for t in files[doc].passages])
            centre = np.zeros(dim)  # their mean static vector, summed a block at a time (all at once: 0.4 GB at 10k)
            for start in range(0, len(seqs), BLOCK):
                centre += static_vectors(seqs[start:start + BLOCK], table.vectors, weights).sum(0, dtype=np.float64)
            centre /= max(len(seqs), 1)
            del seqs
            mean = _mean_rows(matrix)
            let_pages_go(matrix)
            basis.refresh(df, passages, centre.astype(np.float32), mean)
        digest = basis.digest()
        same_basis = digest == kept.basis

        # the units in index order: a kept file's from the kept arrays, a file read now's as made
        pages: list[tuple[str, str]] = []
        page_index: dict[str, int] = {}
        page, kind, group, anchor, text, take = [], [], [], [], [], []
        fresh: list[tuple[int, _File]] = []  # (first unit, file) of the files read now
        token_runs, docs_kept, at, token_at = [], {}, 0, 0
        starts = np.r_[0, ends]
        first_passage = dict(zip(new, np.cumsum([0] + [files[doc].items for doc in new])))
        for doc in order:
            if doc in reuse:
                r = kept.docs[doc]
                count, title, path = r.end - r.first, r.title, r.page
            else:
                f = files[doc]
                count, title, path = len(f.kind), f.title, f.page
            if count:
                if path not in page_index:
                    page_index[path] = len(pages)
                    pages.append((path, title))
                page += [page_index[path]] * count
            if doc in reuse:
                mine = slice(r.first, r.end)
                take.append(np.arange(r.first, r.end))
                kind.append(kept.kind[mine])
                group.append(kept.group[mine])  # (as kept: moved to where they are now below, at once)
                anchor += kept.anchor[mine]
                text += kept.text[mine]
                run = kept.tokens[r.token_first:r.token_end]
                docs_kept[doc] = _Kept(*r[:4], at, at + count, token_at, token_at + len(run))  # (not _replace: 3x slower)
            else:
                take.append(np.full(count, -1))
                kind.append(np.array(f.kind, dtype=np.uint8))
                group.append(np.array([g + at if g >= 0 else -1 for g in f.group], dtype=np.int32))
                anchor += f.anchor
                text += f.text
                p = first_passage[doc]
                run = runs[starts[p]:starts[p + f.items]]
                fresh.append((at, f))
                docs_kept[doc] = _Kept(made_from(doc) if f.whole else "", f.page, f.title, f.items,
                                       at, at + count, token_at, token_at + len(run))
            token_runs.append(run)
            at += count
            token_at += len(run)
        for path, given in (names or {}).items():
            if not given:
                continue
            if path in page_index:
                pages[page_index[path]] = (path, given[0])
            else:
                page_index[path] = len(pages)
                pages.append((path, given[0]))
        if not pages:
            return None
        wanted, named = [], []  # a title unit for each distinct name of each page
        for i, (path, title) in enumerate(pages):
            seen = set()
            for name in (names or {}).get(path) or [title]:
                if name.strip() and name.casefold() not in seen:
                    seen.add(name.casefold())
                    wanted.append(i)
                    named.append(name)
        shift, count = len(named), len(named) + at
        codes = np.zeros((count, dim), dtype=np.int8)
        scales = np.zeros(count, dtype=np.float32)
        take = np.concatenate([np.zeros(0, np.int64), *take])
        # a kept file's sentence units point at their passage's row as kept: it moved as the file's
        # rows did, by the unit's own move (one array operation, where one per file took 0.05-0.1 s at 10k)
        group = np.concatenate([np.zeros(0, np.int64), *group])  # (int64: the kept parts are int32)
        moved = take >= 0
        group[moved] = np.where(group[moved] >= 0, group[moved] + (np.arange(len(take)) - take)[moved], -1)
        keys = np.zeros(count, dtype="V24")
        for kept_rows, rows_now in ((kept.codes, codes), (kept.scales, scales), (kept.keys, keys)):
            copy_rows(kept_rows, take, rows_now[shift:])  # a kept file's rows in runs, not one by one
        let_pages_go(kept.codes)

        # what is left to make: titles and the new files' units not kept by their keys (with the same basis)
        known = kept.titles if same_basis else {}
        title_keys = [text_key("title\n" + name) + text_key(name) for name in named]
        todo_titles = [j for j, k in enumerate(title_keys) if k not in known]
        titled = [(j, known[k]) for j, k in enumerate(title_keys) if k in known]
        if titled:
            mine, rows_kept = np.array(titled).T
            codes[mine], scales[mine] = kept.title_codes[rows_kept], kept.title_scales[rows_kept]
        if keyed:
            keys[:shift] = title_keys
        by_key = {}
        if same_basis and keyed:  # the units a changed file had before, by key
            for doc, r in kept.docs.items():
                if doc not in reuse:
                    by_key.update((kept.keys[u].tobytes(), u) for u in range(r.first, r.end))
        todo_units, sources, texts = [], [], []
        for first, f in fresh:
            for j in range(len(f.kind)):
                u = shift + first + j
                if keyed:
                    keys[u] = f.keys[j]
                    found = by_key.get(f.keys[j])
                    if found is not None:
                        codes[u], scales[u], take[u - shift] = kept.codes[found], kept.scales[found], found
                        continue
                todo_units.append(u)
                sources.append(f.source[j])
                texts.append(f.full[j])
        if want_titles is not None and keyed:
            want_titles(named)
        title_matrix = np.asarray(title_vectors([named[j] for j in todo_titles])) if todo_titles \
            else np.zeros((0, dim), dtype=np.float32)
        todo = np.array(todo_titles + todo_units, dtype=np.int64)
        kinds = np.array([0] * len(todo_titles) + [s for s, _ in sources], dtype=np.int64)
        rows = np.array(list(range(len(todo_titles))) + [r for _, r in sources], dtype=np.int64)
        texts = [named[j] for j in todo_titles] + texts
        lookup = table.lookup() if len(todo) <= FEW_TEXTS else table.vectors  # decode the table only for many
        everything = not keyed  # (without the cache every unit is made: its vectors and texts are returned)
        step = max(len(todo), 1) if everything else BLOCK  # (else a block at a time: all 171k at 10k took 0.6 GB)
        real = static = np.zeros((0, dim), dtype=np.float32)
        for start in range(0, len(todo), step):
            part = slice(start, start + step)
            real = np.zeros((len(todo[part]), dim), dtype=np.float32)
            for source, kind_no in ((title_matrix, 0), (matrix, 1), (parts, 2)):
                where = np.nonzero(kinds[part] == kind_no)[0]
                for first in range(0, len(where), BLOCK):
                    real[where[first:first + BLOCK]] = source[rows[part][where[first:first + BLOCK]]]
            _centre_rows(real, mean)
            static = static_vectors(tokens_of(texts[part]), lookup, weights)
            _centre_rows(static, centre.astype(np.float32))  # the same units as the query sees them
            codes[todo[part]], scales[todo[part]] = _int8_mixed(real, static, STATIC_SHARE)
            let_pages_go(matrix, parts)
        if cache is not None:
            cache.save()
        basis.save()
        kind = np.concatenate([np.zeros(0, np.uint8), *kind]).astype(np.uint8)
        group = group.astype(np.int32)
        if keyed:
            kept.save(digest, docs_kept, keys, codes, scales, kind, group, anchor, text,
                      np.concatenate([np.zeros(0, np.uint16), *token_runs]), counts, shift, take, names_key)
        return Units(
            pages=pages,
            page=np.array([*wanted, *page], dtype=np.int32),
            kind=np.r_[np.zeros(shift, np.uint8), kind],
            group=np.r_[np.full(shift, -1, np.int32), np.where(group >= 0, group + shift, -1)].astype(np.int32),
            anchor=[""] * shift + anchor, text=[""] * shift + text,
            codes=codes, scales=scales, passages=passages, df=df, centre=centre.astype(np.float32),
            full=texts if everything else None, real=real if everything else None,
            static=static if everything else None)


def vault_parts(units: Units, table_digest: str) -> list[bytes | memoryview]:
    """vault.bin in its three parts: a line with kg's mark, a line of JSON and spaces up to the next
    multiple of 4 bytes; the scales (float32, one per unit); the vectors (int8, `dim` per unit).
    The site writes them one after the other (`writer.place`) rather than joined: at the end of a
    10k vault's cold build, its peak, the joined file was 90 MB more, and the joining some 250 MB."""
    seen = np.nonzero(units.df)[0]
    meta = {
        "version": VAULT_VERSION, "table": table_digest, "dim": int(units.codes.shape[1]),
        "count": len(units.page), "share": SENTENCE_SHARE, "question": QUESTION_SHARE, "passages": units.passages,
        "prior": {"first": FIRST_WORD, "scale": PRIOR_SCALE, "exponent": PRIOR_EXPONENT, "passages": PRIOR_PASSAGES},
        "df": [seen.tolist(), units.df[seen].astype(int).tolist()],
        "centre": [round(float(x), 7) for x in units.centre],
        "pages": [[path, title] for path, title in units.pages],
        "units": list(zip(units.page.tolist(), units.kind.tolist(), units.group.tolist(), units.anchor, units.text)),
    }
    head = (b"/* kg: meaning search data of this site (see kg/publish/semantic.py) */\n"
            + orjson.dumps(meta) + b"\n")  # (the standard library: 0.3 s of a 10k vault's edit)
    del meta
    head += b" " * ((-len(head)) % 4)
    return [head, memoryview(np.ascontiguousarray(units.scales, dtype="<f4").reshape(-1).view(np.uint8)),
            memoryview(np.ascontiguousarray(units.codes, dtype=np.int8).reshape(-1).view(np.uint8))]


def encode_vault(units: Units, table_digest: str) -> bytes:
    """vault.bin whole (`vault_parts` joined): for the tests and benches that read it back."""
    return b"".join(vault_parts(units, table_digest))


def decode_vault(data: bytes) -> tuple[dict, np.ndarray, np.ndarray]:
    """(meta, scales, codes) of a vault.bin, read as semantic.js reads it."""
    first = data.index(b"\n")
    second = data.index(b"\n", first + 1)
    meta = json.loads(data[first + 1:second])
    start = second + 1 + (-(second + 1)) % 4
    count, dim = meta["count"], meta["dim"]
    scales = np.frombuffer(data, dtype="<f4", count=count, offset=start)
    codes = np.frombuffer(data, dtype=np.int8, count=count * dim, offset=start + 4 * count).reshape(count, dim)
    return meta, scales, codes


# -- the browser's query path, in Python ---------------------------------------------------------

class StaticSearch:
    """What semantic.js computes for a query, in Python: for the bench and the tests."""

    def __init__(self, table: Table, vault: bytes, tokenizer=None):
        meta, scales, codes = decode_vault(vault)
        self.meta = meta
        self.table = table.vectors
        self.tokenizer = tokenizer or model_tokenizer()
        df = np.zeros(table.meta["tokens"], dtype=np.float64)
        seen, counts = meta["df"]
        df[np.asarray(seen, dtype=np.int64)] = counts
        self.weights = token_weights(df, meta["passages"], table.meta["unk"])
        self.centre = np.asarray(meta["centre"], dtype=np.float64)
        self.vectors = codes.astype(np.float32) * scales[:, None]
        units = meta["units"]
        self.page = np.array([u[0] for u in units], dtype=np.int64)
        self.kind = np.array([u[1] for u in units], dtype=np.int64)
        self.group = np.array([u[2] for u in units], dtype=np.int64)
        self.share = float(meta["share"])
        self.question = float(meta["question"])
        self.pages = meta["pages"]
        self.units = units

    def ids(self, query: str) -> list[int]:
        return self.tokenizer.encode(query, add_special_tokens=False).ids[:MAX_QUERY_TOKENS]

    def vector(self, query: str) -> np.ndarray | None:
        """The query's vector, or None when none of its tokens weighs anything."""
        v = static_vector(self.ids(query), self.table, self.weights)
        if not v.any():
            return None
        v = v - self.centre
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    def page_scores(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(score of each page, the unit its result shows or -1)."""
        raw = self.vectors @ vector
        sentences = np.nonzero(self.kind == 2)[0]
        windows, best_sentence = _first_best(self.group[sentences], raw[sentences], sentences)
        best = np.full(len(raw), -np.inf, dtype=np.float32)
        best[windows] = raw[best_sentence]
        score = np.where(np.isfinite(best), self.share * best + (1 - self.share) * raw, raw)
        score = np.where(self.kind == 3, self.question * score, score)
        shown = np.nonzero(self.kind != 2)[0]
        pages = np.full(len(self.pages), -np.inf, dtype=np.float32)
        np.maximum.at(pages, self.page[shown], score[shown])
        # what a result shows: its page's best passage, or that passage's best sentence
        sentence = np.full(len(raw), -1, dtype=np.int64)
        sentence[windows] = best_sentence
        passages = np.nonzero((self.kind == 1) | (self.kind == 3))[0]
        owners, best_passage = _first_best(self.page[passages], score[passages], passages)
        unit = np.full(len(self.pages), -1, dtype=np.int64)
        unit[owners] = np.where(sentence[best_passage] >= 0, sentence[best_passage], best_passage)
        return pages, unit

    def search(self, query: str, k: int = 10) -> list[tuple[str, float, int]]:
        """(page path, score, unit shown) of the k best pages, best first."""
        vector = self.vector(query)
        if vector is None:
            return []
        pages, unit = self.page_scores(vector)
        top = np.argsort(-pages, kind="stable")[:k]
        return [(self.pages[p][0], float(pages[p]), int(unit[p])) for p in top if np.isfinite(pages[p])]


def _first_best(keys: np.ndarray, values: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct key, the item with the largest value (the first one on a tie, as
    semantic.js keeps the first): (keys, items)."""
    if not len(keys):
        return keys, items
    order = np.lexsort((-values, keys))  # stable: equal values keep their order
    sorted_keys = keys[order]
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return sorted_keys[first], items[order][first]


# -- the site writer's part ------------------------------------------------------------------------

_AHEAD: dict = {}
"""What `read_ahead` read, for the `publish` and `gather` of the same process to take."""
UNIT_CACHE = "semantic-units.npz"


def _file_key(path: Path) -> tuple | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return str(path), found.st_mtime_ns, found.st_size


def read_ahead(cache_dir: Path) -> None:
    """Read what an edit's meaning search needs and the claims and index stages do not change: the
    table, the kept units (`Segments`) and the tokenizer. kg.build's forked meaning search process
    reads them as soon as it is forked, while this process reads the claims and updates the search
    index, instead of after (0.3-0.4 s of a 10k vault's edit, on its critical path). `publish` and
    `gather` take them only while their files are as they were read."""
    path = table_path()
    if not _table_ok(path):
        return
    table = read_table(path)
    _AHEAD["table"] = (_file_key(path), table)
    unit_cache = Path(cache_dir) / UNIT_CACHE
    _AHEAD["units"] = (_file_key(unit_cache), table.meta["dim"], Segments(unit_cache, table.meta["dim"], ""))
    _AHEAD["tokenizer"] = model_tokenizer()


def _taken(name: str, key: tuple | None):
    """What `read_ahead` read under this name, if its file is as it was then (each taken once)."""
    found = _AHEAD.pop(name, None)
    return found[1:] if found is not None and key is not None and found[0] == key else None


def publish(site, out: Path, cache_dir: Path, owned: set[str], warnings: list[str], pages: set[str],
            progress=None, reads_as: tuple[str, Callable[[str], bool]] | None = None) -> set[str]:
    """Write site/semantic/ for a vault whose search index is in `cache_dir` (each file only if its
    bytes changed); returns the files there that are kg's. Without an index, kg's old files there
    are removed and the site searches by words only. `pages`: the pages the site has, as the
    writer's manifest lists them (looking for each concept's page on disk took 0.6 s at 10k notes)."""
    from kg.publish.writer import place
    from kg.search.embed import ModelError

    kb = site.kb
    present = (Path(cache_dir) / MATRICES).is_file()
    files: dict[str, bytes | list] = {}
    if present:
        try:
            table_file = ensure_table(progress=progress)
            ahead = _taken("table", _file_key(table_file))
            table = ahead[0] if ahead is not None else read_table(table_file)
            table_bytes = table_file.read_bytes()
            digest = hashlib.blake2b(table_bytes, digest_size=8).hexdigest()

            def titles(texts: list[str]) -> np.ndarray:
                from kg.search.embed import shared_embedder
                from kg.search.index import SearchIndex

                return SearchIndex(Path(cache_dir)).vectors_for(texts, shared_embedder, progress,
                                                                stage="Embedding page titles", add=True)

            def want(texts: list[str]) -> None:
                from kg.search.index import SearchIndex

                SearchIndex(Path(cache_dir)).want(texts)

            if progress:
                progress("Writing meaning search", 0, None)
            from kg.publish import urls

            names = {}  # each concept page (a stub's too) by its title and aliases
            for concept in kb.concepts.values():
                path = urls.concept_page(concept.id)
                if path in pages:
                    names[path] = [concept.title, *concept.aliases[:MAX_ALIASES]]
            units = gather(Path(cache_dir), site.page_of_doc, table, titles,
                           {path: info.hash for path, info in kb.infos.items()}, names,
                           token_cache=Path(cache_dir) / "semantic-tokens.npz", shown=site.shown_text,
                           static_cache=Path(cache_dir) / "semantic-static.npz",
                           unit_cache=Path(cache_dir) / UNIT_CACHE, want_titles=want,
                           shown_digest=site.shown_digest, names_key=kb.names, reads_as=reads_as)
            if units is not None:
                files = {TABLE: table_bytes, VAULT: vault_parts(units, digest)}
        except (SemanticUnavailable, ModelError, OSError, ValueError, sqlite3.Error) as exc:
            warnings.append(f"{FOLDER}/: kg could not prepare search by meaning ({exc}); the site's search "
                            "finds words only")
            files = {}
    kept: set[str] = set()
    for path in (TABLE, VAULT):
        target = out / path
        if path not in files:
            if path in owned and target.is_file() and not target.is_symlink():
                target.unlink()
            continue
        if place(out, path, files[path], owned, warnings, "the site's search finds words only"):
            kept.add(path)
    return kept


def current(out: Path, cache_dir: Path) -> bool:
    """Whether site/semantic/ is as an unchanged build leaves it: both files there when the vault
    has a search index, neither when it has none (a cheap look, for the writer's shortcut)."""
    want = (Path(cache_dir) / MATRICES).is_file()
    return all((out / path).is_file() == want for path in (TABLE, VAULT))
