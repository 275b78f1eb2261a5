"""Prefix sums and products with lax.associative_scan, checked against lax.scan and NumPy, with timings.

Shows the three ways to compute an inclusive prefix: a sequential `lax.scan` (n dependent steps),
`lax.associative_scan` (O(log n) depth: a handful of whole-array operations), and NumPy's cumsum/cumprod.
A first-order linear recurrence h[t] = a[t] * h[t-1] + b[t] is an associative scan too, over pairs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import jaxnc
import jaxnc.numpy as jnp
from jaxnc import lax


def scan_cumsum(x):
    return lax.scan(lambda c, v: (c + v, c + v), jnp.zeros((), x.dtype), x)[1]


def assoc_cumsum(x):
    return lax.associative_scan(jnp.add, x)


def assoc_cumprod(x):
    return lax.associative_scan(jnp.multiply, x)


def linear_recurrence(a, b):
    """h[t] = a[t] h[t-1] + b[t], h[-1] = 0, as an associative scan over (a, b) pairs."""

    def compose(first, second):
        a1, b1 = first
        a2, b2 = second
        return a2 * a1, a2 * b1 + b2

    return lax.associative_scan(compose, (a, b))[1]


def _best_time(f, *args, repeat: int = 3) -> float:
    jaxnc.block_until_ready(f(*args))
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        jaxnc.block_until_ready(f(*args))
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="sequence length")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, args.n).astype(np.float32)
    p = rng.uniform(0.999, 1.001, args.n).astype(np.float32)
    a, b = rng.uniform(0.5, 1.0, args.n).astype(np.float32), rng.standard_normal(args.n).astype(np.float32)
    xj, pj, aj, bj = jnp.asarray(x), jnp.asarray(p), jnp.asarray(a), jnp.asarray(b)

    f_scan, f_assoc = jaxnc.jit(scan_cumsum), jaxnc.jit(assoc_cumsum)
    want = np.cumsum(x.astype(np.float64))
    err_scan = float(np.max(np.abs(np.asarray(f_scan(xj)) - want)))
    err_assoc = float(np.max(np.abs(np.asarray(f_assoc(xj)) - want)))
    err_prod = float(np.max(np.abs(np.asarray(jaxnc.jit(assoc_cumprod)(pj)) / np.cumprod(p.astype(np.float64)) - 1)))
    h = np.empty(args.n)
    acc = 0.0
    for t in range(args.n):
        acc = a[t] * acc + b[t]
        h[t] = acc
    err_rec = float(np.max(np.abs(np.asarray(jaxnc.jit(linear_recurrence)(aj, bj)) - h)))
    times = {
        "lax.scan cumsum": _best_time(f_scan, xj),
        "lax.associative_scan cumsum": _best_time(f_assoc, xj),
        "numpy cumsum": _best_time(np.cumsum, x),
    }
    print(f"n = {args.n}")
    print(f"max |error| vs float64 cumsum: scan {err_scan:.2e}, associative_scan {err_assoc:.2e}")
    print(f"max relative error of the associative cumprod: {err_prod:.2e}")
    print(f"max |error| of the linear recurrence via associative_scan: {err_rec:.2e}")
    for name, seconds in times.items():
        print(f"{name:<30} {seconds * 1e3:9.3f} ms  ({args.n / seconds:.3g} elements/s)")
    return {"err_scan": err_scan, "err_assoc": err_assoc, "err_prod": err_prod, "err_rec": err_rec, "times": times}


if __name__ == "__main__":
    main()
