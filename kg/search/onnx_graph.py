"""all-MiniLM-L6-v2 as an ONNX graph, written from its safetensors weights without torch.

The graph is BERT as the weights were trained for (transformers' BertModel, absolute positions,
exact erf GELU), followed by what sentence-transformers adds for this model: the mean of the
token vectors under the attention mask, then L2 normalisation. So the output "embedding" is the
same unit vector `SentenceTransformer(...).encode(..., normalize_embeddings=True)` gives. The
GELU is onnxruntime's `BiasGelu` kernel, the intermediate layer's bias and activation in one
node: as the five nodes of its formula it took 10% more time a text in the int8 graph.

Inputs: input_ids, attention_mask, token_type_ids, int64 [batch, tokens] (both dimensions
dynamic). Output: embedding, float32 [batch, hidden]. Opset 17 (LayerNormalization is a single
node), and onnxruntime's own `com.microsoft` domain for `BiasGelu`. Only `onnx`, `numpy` and
`safetensors` are needed: building takes about a second.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

OPSET = 17
IR_VERSION = 8
"""The IR version that goes with opset 17: any onnxruntime that runs opset 17 reads it."""
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Graph:
    """Collects nodes and initialisers; every helper returns the name of its output."""

    def __init__(self):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, name: str, value) -> str:
        self.inits.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs) -> str:
        self.count += 1
        out = f"{op_type.lower()}_{self.count}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], name=f"{op_type}_{self.count}", **attrs))
        return out


def _linear(g: _Graph, x: str, weights: dict, prefix: str) -> str:
    """x @ W.T + b, with W stored already transposed (the [in, out] layout MatMul wants)."""
    w = g.const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T.astype(np.float32))
    b = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
    return g.op("Add", g.op("MatMul", x, w), b)


def _layer_norm(g: _Graph, x: str, weights: dict, prefix: str, eps: float) -> str:
    scale = g.const(f"{prefix}.weight", weights[f"{prefix}.weight"].astype(np.float32))
    bias = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
    return g.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)


def build_model(weights: dict[str, np.ndarray], config: dict):
    """The ModelProto for a BERT encoder with mean pooling and L2 normalisation."""
    from onnx import TensorProto, helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_dim = hidden // heads
    eps = float(config.get("layer_norm_eps", 1e-12))
    if config.get("hidden_act", "gelu") != "gelu":
        raise ValueError(f"unsupported activation {config.get('hidden_act')!r}: this builder writes erf GELU")
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("unsupported position embeddings: this builder writes absolute positions")

    g = _Graph()
    ids, mask, types = INPUTS

    # Embeddings: word + position (0..tokens-1) + token type, then LayerNorm.
    word = g.op("Gather", g.const("embeddings.word", weights["embeddings.word_embeddings.weight"]), ids)
    # Positions as transformers takes them: the first `tokens` entries of [[0, 1, ..., 511]]. A
    # Range(0, tokens) gives the same numbers, but onnxruntime's default optimisations rewrite it
    # into a Slice that then fails at run time ("Starts must be a 1-D array", onnxruntime 1.32).
    table = weights["embeddings.position_embeddings.weight"]
    all_positions = g.const("embeddings.position_ids", np.arange(table.shape[0], dtype=np.int64)[None, :])
    tokens = g.op("Shape", ids, start=1, end=2)                                # [tokens], 1-D
    positions = g.op("Slice", all_positions, g.const("zero_1d", np.array([0], dtype=np.int64)), tokens,
                     g.const("axis_1d", np.array([1], dtype=np.int64)))      # [1, tokens]
    pos = g.op("Gather", g.const("embeddings.position", table), positions)
    kind = g.op("Gather", g.const("embeddings.token_type", weights["embeddings.token_type_embeddings.weight"]), types)
    h = _layer_norm(g, g.op("Add", g.op("Add", word, pos), kind), weights, "embeddings.LayerNorm", eps)

    # Additive attention bias: 0 where the mask is 1, the lowest float32 where it is 0 (as
    # transformers does), shaped [batch, 1, 1, tokens] to broadcast over heads and queries.
    mask_f = g.op("Cast", mask, to=TensorProto.FLOAT)
    one_f = g.const("one_f", np.array(1.0, dtype=np.float32))
    lowest = g.const("lowest_f", np.array(np.finfo(np.float32).min, dtype=np.float32))
    bias = g.op("Mul", g.op("Sub", one_f, mask_f), lowest)
    bias = g.op("Unsqueeze", bias, g.const("axes_1_2", np.array([1, 2], dtype=np.int64)))

    split_heads = g.const("shape_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_heads = g.const("shape_hidden", np.array([0, 0, hidden], dtype=np.int64))
    scale = g.const("attention_scale", np.array(math.sqrt(head_dim), dtype=np.float32))

    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        q = g.op("Transpose", g.op("Reshape", _linear(g, h, weights, f"{p}.attention.self.query"), split_heads),
                 perm=[0, 2, 1, 3])                                            # [b, heads, t, d]
        k = g.op("Transpose", g.op("Reshape", _linear(g, h, weights, f"{p}.attention.self.key"), split_heads),
                 perm=[0, 2, 3, 1])                                            # [b, heads, d, t]
        v = g.op("Transpose", g.op("Reshape", _linear(g, h, weights, f"{p}.attention.self.value"), split_heads),
                 perm=[0, 2, 1, 3])                                            # [b, heads, t, d]
        scores = g.op("Add", g.op("Div", g.op("MatMul", q, k), scale), bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = g.op("Add", _linear(g, context, weights, f"{p}.attention.output.dense"), h)
        h = _layer_norm(g, attended, weights, f"{p}.attention.output.LayerNorm", eps)

        up = f"{p}.intermediate.dense"
        gelu = g.op("BiasGelu", g.op("MatMul", h, g.const(f"{up}.weight_t", weights[f"{up}.weight"].T.astype(np.float32))),
                    g.const(f"{up}.bias", weights[f"{up}.bias"].astype(np.float32)), domain="com.microsoft")
        out = g.op("Add", _linear(g, gelu, weights, f"{p}.output.dense"), h)
        h = _layer_norm(g, out, weights, f"{p}.output.LayerNorm", eps)

    # Mean over the tokens the mask keeps (sentence-transformers' mean pooling), then unit length.
    axis1 = g.const("axis_1", np.array([1], dtype=np.int64))
    mask3 = g.op("Unsqueeze", mask_f, g.const("axis_last", np.array([-1], dtype=np.int64)))
    summed = g.op("ReduceSum", g.op("Mul", h, mask3), axis1, keepdims=0)
    min_count = g.const("min_count", np.array(1e-9, dtype=np.float32))
    mean = g.op("Div", summed, g.op("Clip", g.op("ReduceSum", mask3, axis1, keepdims=0), min_count))
    min_norm = g.const("min_norm", np.array(1e-12, dtype=np.float32))
    norm = g.op("Clip", g.op("ReduceL2", mean, axes=[1], keepdims=1), min_norm)
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"], name="normalise"))

    dims = ["batch", "tokens"]
    graph = helper.make_graph(
        g.nodes, "all-minilm-l6-v2-mean-normalised",
        [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in INPUTS],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
                              producer_name="kg.search.onnx_graph", ir_version=IR_VERSION)
    return model


def build_onnx(folder: Path, target: Path) -> Path:
    """Read `folder`/model.safetensors and config.json and write the ONNX model to `target`
    (the caller checks the weights' digest and makes the write atomic)."""
    import onnx
    from safetensors.numpy import load_file

    weights = load_file(str(Path(folder) / "model.safetensors"))
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    weights = {name.removeprefix("bert."): value for name, value in weights.items()}
    model = build_model(weights, config)
    onnx.save_model(model, str(target))
    return target
