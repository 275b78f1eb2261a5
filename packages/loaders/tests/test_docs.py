"""Docs: the docstring examples run, and the README lists every public name."""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

MODULES = [
    "jaxnc_loaders.safetensors",
    "jaxnc_loaders.names",
    "jaxnc_loaders.tokenizers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", ["jaxnc_loaders", *MODULES, "jaxnc_loaders.fetch"])
def test_every_public_name_is_in_the_readme(name):
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(
        encoding="utf-8"
    )
    missing = [n for n in importlib.import_module(name).__all__ if n not in readme]
    assert not missing, (
        f"{name}: {missing} are public but not listed in packages/loaders/README.md"
    )
