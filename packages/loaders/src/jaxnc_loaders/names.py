"""Weight names: nested dicts to dotted keys and back, and renaming keys by prefix or suffix maps.

>>> flatten_dict({"encoder": {"layer": {"weight": 1, "bias": 2}}})
{'encoder.layer.weight': 1, 'encoder.layer.bias': 2}
>>> unflatten_dict({"a.b": 1, "a.c": 2})
{'a': {'b': 1, 'c': 2}}
>>> rename_keys({"model.fc.weight": 1}, prefixes={"model.": ""}, suffixes={".weight": ".kernel"})
{'fc.kernel': 1}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flatten_dict", "rename_keys", "unflatten_dict"]


def flatten_dict(tree: Mapping[str, Any], sep: str = ".") -> dict[str, Any]:
    """Turns nested dicts into one dict whose keys join the path with `sep`.

    Args:
      tree: nested mappings with str keys; anything that is not a mapping is a leaf.
      sep: the separator between path components.

    Returns:
      A flat dict, leaves in depth-first order. Empty sub-dicts disappear.

    Raises:
      ValueError: a key is not a str, contains `sep`, or two paths flatten to the same key.
    """
    flat: dict[str, Any] = {}

    def visit(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if not isinstance(key, str) or not key or sep in key:
                raise ValueError(
                    f"key {key!r} under {prefix or 'the root'!r} cannot be flattened; expected a non-empty str without {sep!r}"
                )
            path = prefix + key
            if isinstance(value, Mapping):
                visit(value, path + sep)
            else:
                flat[path] = value

    visit(tree, "")
    return flat


def unflatten_dict(flat: Mapping[str, Any], sep: str = ".") -> dict[str, Any]:
    """Turns dotted keys back into nested dicts (the inverse of `flatten_dict`).

    Raises:
      ValueError: a key is both a leaf and a prefix of another key (e.g. "a" and "a.b"), or has an empty part.
    """
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(sep)
        if not all(parts):
            raise ValueError(
                f"key {key!r} has an empty component; expected parts separated by single {sep!r}"
            )
        node = tree
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(  # noqa: TRY004 - keys conflict; no argument has the wrong type
                    f"key {key!r} goes below {sep.join(parts[: i + 1])!r}, which is a leaf; expected a leaf or a prefix, not both"
                )
            node = child
        if parts[-1] in node:
            raise ValueError(
                f"key {key!r} is both a leaf and a prefix of other keys; expected one or the other"
            )
        node[parts[-1]] = value
    return tree


def rename_keys(
    flat: Mapping[str, Any],
    *,
    prefixes: Mapping[str, str] | None = None,
    suffixes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Renames keys: the longest matching prefix is replaced, then the longest matching suffix.

    Args:
      flat: a dict with str keys (e.g. a checkpoint's tensors).
      prefixes: old prefix -> new prefix ("" as new removes the prefix).
      suffixes: old suffix -> new suffix.

    Returns:
      A new dict in the same order; keys that match nothing are kept.

    Raises:
      ValueError: two keys end up with the same name.
    """
    prefixes, suffixes = dict(prefixes or {}), dict(suffixes or {})
    by_length_p = sorted(prefixes, key=len, reverse=True)
    by_length_s = sorted(suffixes, key=len, reverse=True)
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in flat.items():
        new = key
        old = next((p for p in by_length_p if new.startswith(p)), None)
        if old is not None:
            new = prefixes[old] + new[len(old) :]
        old = next((s for s in by_length_s if new.endswith(s)), None)
        if old is not None:
            new = new[: len(new) - len(old)] + suffixes[old]
        if new in out:
            raise ValueError(
                f"keys {origin[new]!r} and {key!r} are both renamed to {new!r}; expected distinct names"
            )
        out[new], origin[new] = value, key
    return out
