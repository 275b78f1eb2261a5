"""The multi_transform fine-tuning example: the frozen part is bit-identical, the head reaches NumPy's least-squares optimum."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np

import jaxnc

EXAMPLE = pathlib.Path(__file__).parent.parent / "examples" / "finetune_multi_transform.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("finetune_multi_transform", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_finetune_freezes_backbone_and_fits_head(capsys) -> None:
    example = _load_example()
    result = example.finetune(steps=300)

    frozen_before = jaxnc.tree_util.tree_leaves(result["initial"]["backbone"])
    frozen_after = jaxnc.tree_util.tree_leaves(result["params"]["backbone"])
    for before, after in zip(frozen_before, frozen_after, strict=True):
        np.testing.assert_array_equal(np.asarray(after), np.asarray(before))

    # Oracle: with the backbone fixed, the best head is NumPy's least-squares solution on its features.
    params, x, y = example.make_data()
    features = np.tanh(x @ params["backbone"]["w"] + params["backbone"]["b"])
    design = np.concatenate([features, np.ones((len(x), 1), np.float32)], axis=1)
    solution, *_ = np.linalg.lstsq(design.astype(np.float64), y.astype(np.float64), rcond=None)
    optimum = float(np.mean((design @ solution - y) ** 2))
    assert result["final_loss"] <= optimum + 0.01 * (result["first_loss"] - optimum)

    example.main()
    assert "backbone moved: {'b': False, 'w': False}" in capsys.readouterr().out
