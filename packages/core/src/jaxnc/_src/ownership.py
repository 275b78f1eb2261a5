"""Ownership: deterministic release (`tree.dispose`), cache clearing and the leak check."""

from __future__ import annotations

import collections
import contextlib
import gc
import weakref

from jaxnc._src.backends import base
from jaxnc._src.tree_util import tree_leaves

# Objects holding traced jaxprs (jit wrappers, custom_jvp/vjp functions, checkpoint wrappers).
_cache_owners: weakref.WeakSet = weakref.WeakSet()


def register_cache_owner(obj) -> None:
    """Record an object with a `clear_cache()` method so `clear_caches()` reaches it."""
    _cache_owners.add(obj)


def clear_caches() -> None:
    """Drop every compilation and tracing cache (and the constants captured in them)."""
    from jaxnc._src import dispatch
    from jaxnc._src.backends.registry import registry

    for owner in list(_cache_owners):
        owner.clear_cache()
    dispatch._aval_cache.clear()
    for entry in (registry._entries or {}).values():
        if entry.backend is not None:
            entry.backend.clear_caches()


def dispose(tree) -> None:
    """Release every Array leaf of `tree` now; repeated and already-deleted leaves are fine."""
    seen = set()
    for leaf in tree_leaves(tree):
        if id(leaf) in seen or not hasattr(leaf, "delete"):
            continue
        seen.add(id(leaf))
        leaf.delete()


class LeakError(AssertionError):
    """Buffers created inside a `check_leaks` block outlived it."""


class LeakReport:
    def __init__(self, leaked: list[tuple[str, str, str, int]], count_growth: dict) -> None:
        self.leaked = leaked  # (site, aval, device, nbytes)
        self.count_growth = count_growth

    def __bool__(self) -> bool:
        return bool(self.leaked)

    def summary(self) -> str:
        groups = collections.Counter((site, desc, dev) for site, desc, dev, _ in self.leaked)
        size = {(s, d, v): n for s, d, v, n in self.leaked}
        lines = [f"{len(self.leaked)} buffer(s) leaked:"]
        for (site, desc, dev), k in groups.most_common():
            lines.append(f"  {site} — {k}x {desc} on {dev} ({size[(site, desc, dev)]} bytes each)")
        return "\n".join(lines)


@contextlib.contextmanager
def check_leaks(raise_on_leak: bool = True):
    """Fail if buffers made inside the block are still alive at its end (after caches are cleared).

    Yields a LeakReport filled in at exit. Reports each surviving buffer's creation site (file:line),
    aval and device.

    Example:
      >>> import jaxnc, jaxnc.numpy as jnp
      >>> with jaxnc.check_leaks():
      ...     y = float(jnp.sum(jnp.arange(3.0)))
    """
    gc.collect()
    before = dict(base._live_counts)
    start_ids = set(base._tracked)
    base._tracking_depth += 1
    report = LeakReport([], {})
    try:
        yield report
    finally:
        base._tracking_depth -= 1
        clear_caches()
        gc.collect()
        leaked = []
        for key, (ref, site, desc) in list(base._tracked.items()):
            buf = ref()
            if buf is None or key in start_ids:
                continue
            leaked.append((site, desc, str(buf.device), buf.nbytes))
        if not base._tracking_depth:
            base._tracked.clear()
        report.leaked = leaked
        report.count_growth = {d: n - before.get(d, 0) for d, n in base._live_counts.items() if n > before.get(d, 0)}
    if leaked and raise_on_leak:
        raise LeakError(report.summary())
