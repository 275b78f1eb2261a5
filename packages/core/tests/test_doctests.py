"""Docstring examples of public functions run as doctests (imported by package name, not by path)."""

import doctest
import importlib
import pkgutil

import pytest

import jaxnc


def _modules():
    names = ["jaxnc"]
    for info in pkgutil.walk_packages(jaxnc.__path__, "jaxnc."):
        if ".tests" in info.name or info.name.endswith("__main__") or "testing.plugin" in info.name:
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest example(s) failed in {name}"
