"""pytest plugin: every test runs under `jaxnc.check_leaks` (opt out with @pytest.mark.allow_leaks(reason)).

Use it from a conftest.py: `pytest_plugins = ["jaxnc.testing.plugin"]`.
"""

from __future__ import annotations

import pytest

from jaxnc._src.ownership import check_leaks


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "allow_leaks(reason): the test may leave buffers alive (say why)")


@pytest.fixture(autouse=True)
def jaxnc_leak_check(request):
    """Fail the test if buffers it created are still alive when it ends."""
    marker = request.node.get_closest_marker("allow_leaks")
    if marker is not None:
        if not marker.args:
            raise pytest.UsageError(f"{request.node.nodeid}: allow_leaks needs a reason")
        yield None
        return
    with check_leaks(raise_on_leak=False) as report:
        yield report
    call = getattr(request.node, "_jaxnc_call_report", None)
    if report and (call is None or call.passed):
        pytest.fail(f"{request.node.nodeid} leaked buffers (use jaxnc.tree.dispose / `with x:` or fix the owner):\n"
                    f"{report.summary()}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item._jaxnc_call_report = report  # a failed test's traceback keeps its arrays alive: no leak report then
    return report
