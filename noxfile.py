"""Sessions for the jaxnc monorepo: one per package and per backend, plus wheels, demo and bench.

`nox` runs the default sessions (lint, every package's tests, the wheel/extras proof);
`nox -s demo` runs the README demo; `nox -s bench` prints the benchmark table.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import nox

ROOT = pathlib.Path(__file__).parent
PACKAGES = {
    "core": "packages/core",
    "wasm": "packages/backend-wasm",
    "webgpu": "packages/backend-webgpu",
    "optax": "packages/optax",
    "loaders": "packages/loaders",
    "onnx": "packages/onnx",
}
DISTRIBUTIONS = {
    "core": "jaxnc",
    "wasm": "jaxnc-wasm",
    "webgpu": "jaxnc-webgpu",
    "optax": "jaxnc-optax",
    "loaders": "jaxnc-loaders",
    "onnx": "jaxnc-onnx",
}
nox.options.sessions = ["lint", "tests", "wheels"]
nox.options.reuse_existing_virtualenvs = True


def _install(session: nox.Session, *packages: str, extras: str = "test") -> None:
    """The one install helper: core (editable) plus the named packages with their extras."""
    args = ["-e", f"{PACKAGES['core']}[{extras}]"]
    for name in packages:
        if name != "core":
            args += ["-e", f"{PACKAGES[name]}[{extras}]"]
    session.install(*args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check over every package, the examples and the bench."""
    session.install("ruff==0.17.6")  # pinned: import-order rules change between releases
    session.run("ruff", "check", "packages", "examples", "bench", "tools", "noxfile.py", ".ci")


@nox.session
@nox.parametrize("package", list(PACKAGES))
def tests(session: nox.Session, package: str) -> None:
    """One package's test suite (under the leak check), against an editable install of core."""
    # NB: the onnx models are checked on every backend present (webgpu through lavapipe in CI)
    _install(session, package, *(("wasm", "webgpu") if package == "onnx" else ()))
    session.run("pytest", "-q", "-p", "no:cacheprovider", f"{PACKAGES[package]}/tests", *session.posargs)


@nox.session
def wheels(session: nox.Session) -> None:
    """Build every wheel into wheelhouse/ and prove each extra installs exactly core + that package."""
    house = ROOT / "wheelhouse"
    shutil.rmtree(house, ignore_errors=True)
    session.install("pip>=23", "build")
    for path in PACKAGES.values():
        session.run("python", "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(house), path)
    # The dependencies go into the same folder so the install below needs no index.
    session.run("python", "-m", "pip", "download", "-q", "-d", str(house), *_third_party_requirements())
    session.run("python", str(ROOT / ".ci" / "check_extras.py"), str(house))


def _third_party_requirements() -> list[str]:
    import tomllib

    reqs: list[str] = []
    for path in PACKAGES.values():
        meta = tomllib.loads((ROOT / path / "pyproject.toml").read_text())["project"]
        reqs += [r for r in meta.get("dependencies", []) if not r.startswith("jaxnc")]
    return sorted(set(reqs))


@nox.session
def demo(session: nox.Session) -> None:
    """The README demo: an MLP on scikit-learn's digits with jit(value_and_grad) on the default backend."""
    _install(session, "core", "optax", extras="demo")
    session.run("python", "examples/mlp_digits.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark table (bench/run.py); set BENCH_BACKENDS or pass --backends to choose."""
    _install(session, *[p for p in PACKAGES if p in ("core", "wasm", "webgpu")], extras="test")
    session.run("python", "bench/run.py", *session.posargs, env={"PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")})
