"""Weight-name helpers: round trips over generated trees, and renames checked key by key against str methods."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaxnc_loaders import flatten_dict, rename_keys, unflatten_dict

keys = st.text(alphabet="abcxyz_0123", min_size=1, max_size=4)
trees = st.recursive(
    st.integers(),
    lambda children: st.dictionaries(keys, children, min_size=1, max_size=3),
    max_leaves=12,
)


def _paths(tree, prefix=()):
    """Every (path, leaf) of a nested dict, by plain recursion: the oracle for flatten_dict."""
    if not isinstance(tree, dict):
        return [(prefix, tree)]
    return [
        item for key, value in tree.items() for item in _paths(value, (*prefix, key))
    ]


@given(st.dictionaries(keys, trees, max_size=4))
def test_flatten_matches_the_paths_and_unflatten_inverts_it(tree):
    flat = flatten_dict(tree)
    assert list(flat.items()) == [(".".join(path), leaf) for path, leaf in _paths(tree)]
    assert unflatten_dict(flat) == tree
    assert unflatten_dict(flatten_dict(tree, sep="/"), sep="/") == tree


def test_conflicts_and_bad_keys_are_errors():
    with pytest.raises(ValueError, match="both a leaf and a prefix"):
        unflatten_dict({"a.b": 1, "a": 2})
    with pytest.raises(ValueError, match="which is a leaf"):
        unflatten_dict({"a": 2, "a.b": 1})
    with pytest.raises(ValueError, match="empty component"):
        unflatten_dict({"a..b": 1})
    with pytest.raises(ValueError, match="without '.'"):
        flatten_dict({"a.b": 1})
    with pytest.raises(ValueError, match="both renamed to 'x.w'"):
        rename_keys({"a.w": 1, "b.w": 2}, prefixes={"a.": "x.", "b.": "x."})


@given(st.dictionaries(st.text(alphabet="ab.", max_size=6), st.integers(), max_size=6))
def test_rename_keys_applies_the_longest_prefix_then_the_longest_suffix(flat):
    prefixes, suffixes = {"a": "P", "a.b": "Q", "": ""}, {"b": "S", ".b": "T"}
    try:
        renamed = rename_keys(flat, prefixes=prefixes, suffixes=suffixes)
    except ValueError:
        return  # a collision; covered above
    expected = []
    for key, value in flat.items():
        p = max((p for p in prefixes if key.startswith(p)), key=len)
        key = prefixes[p] + key.removeprefix(p)
        s = max((s for s in suffixes if key.endswith(s)), key=len, default=None)
        expected.append((key[: len(key) - len(s)] + suffixes[s] if s else key, value))
    assert list(renamed.items()) == expected
