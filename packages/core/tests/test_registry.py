"""Primitive rules are complete; backends are plugins found through entry points, broken ones reported."""

import os
import subprocess
import sys
import textwrap

import numpy as np

import jaxnc
from jaxnc._src import core
from jaxnc._src.backends.registry import registry

# primitives without a batching rule or JVP would make vmap/grad fail at run time
NEEDS = ("impl", "abstract_eval", "jvp", "batch")


def test_every_primitive_has_every_rule_it_needs():
    import jaxnc.lax  # noqa: F401 - registers every primitive

    missing = []
    for name, prim in sorted(core.PRIMITIVES.items()):
        missing += [f"{name}.{rule}" for rule in NEEDS if getattr(prim, rule) is None]
        if prim.linear and prim.transpose is None:
            missing.append(f"{name}.transpose (declared linear)")
    assert not missing, f"primitives lacking rules: {missing}"
    assert len(core.PRIMITIVES) > 60


def _write_plugin(tmp_path, name, body):
    pkg = tmp_path / name
    pkg.write_text(textwrap.dedent(body))
    dist = tmp_path / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[jaxnc.backends]\n{name} = {name[:-3]}\n")


GOOD = """
    from jaxnc.extend import BackendSpec, hookimpl, Device
    from jaxnc._src.backends.cpu import CpuBackend

    class Numpy2(CpuBackend):
        name = platform = "numpy2"
        def __init__(self):
            self.devices = [Device(self, 0)]

    @hookimpl
    def jaxnc_backends():
        return [BackendSpec(name="numpy2", priority=50, probe=lambda: None, create=Numpy2)]
"""


def _run(tmp_path, code, **env):
    full_env = dict(os.environ, PYTHONPATH=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=60)


def test_third_party_plugin_shows_up_and_broken_one_is_reported(tmp_path):
    _write_plugin(tmp_path, "goodplug.py", GOOD)
    _write_plugin(tmp_path, "badplug.py", "raise ImportError('this plugin is broken on purpose')\n")
    code = textwrap.dedent("""
        import jaxnc, jaxnc.numpy as jnp
        from jaxnc._src.backends.registry import registry
        print("devices", jaxnc.devices("numpy2"))
        x = jaxnc.device_put(jnp.arange(3.0), jaxnc.devices("numpy2")[0])
        print("sum", float((x * 2).sum()), x.device)
        print("default", jaxnc.default_backend())
        print("broken", registry.broken)
        print("cpu", float(jnp.arange(3.0).sum()), jnp.ones(1).device)
    """)
    res = _run(tmp_path, code)
    assert res.returncode == 0, res.stderr
    assert "devices [Numpy2Device(id=0)]" in res.stdout
    assert "sum 6.0 numpy2:0" in res.stdout
    assert "default cpu" in res.stdout  # priority 50 < cpu's 100
    assert "badplug" in res.stdout and "broken on purpose" in res.stdout
    assert "cpu 3.0 cpu:0" in res.stdout  # the broken plugin does not break the others
    assert "RuntimeWarning: jaxnc backend plugin 'badplug" in res.stderr and "failed to load" in res.stderr
    res = _run(tmp_path, "import jaxnc; print(jaxnc.default_backend())", JAXNC_PLATFORMS="numpy2,cpu")
    assert res.stdout.strip() == "numpy2"


def test_python_m_jaxnc_lists_plugins_and_default():
    res = subprocess.run([sys.executable, "-m", "jaxnc"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "jaxnc 0.1.0" in res.stdout and "cpu" in res.stdout and "default device: cpu:0" in res.stdout


def test_default_device_scope_and_device_put():
    cpu = jaxnc.devices("cpu")[0]
    with jaxnc.default_device("cpu") as d:
        assert d is cpu
    x = jaxnc.device_put(np.ones(2, np.float32), cpu)
    assert x.committed and x.device is cpu
    assert "cpu" in registry.entries
