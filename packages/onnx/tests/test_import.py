"""The skeleton package installs and imports; jaxnc.onnx aliases it."""

import jaxnc
import jaxnc_onnx


def test_lazy_alias_is_the_package():
    assert jaxnc.onnx is jaxnc_onnx
