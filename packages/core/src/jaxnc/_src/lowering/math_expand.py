"""Math expansions: transcendental functions as polynomials over basic ops, for backends without them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jaxnc._src.lowering import ir

EXPANSIONS: dict[str, Callable] = {}


def expandable(op: str, dtype: np.dtype, params: tuple, renders: Callable) -> bool:
    return False


def expand(root: ir.Expr, renders: Callable) -> ir.Expr:
    return root
