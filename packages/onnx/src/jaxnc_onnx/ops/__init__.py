"""The op table (`OPS`), filled by importing each ops module once."""

from . import control, elementwise, nn, quant, random, reduction, rnn, spectral, tensor, training, vision  # noqa: F401 - registers ops
from .registry import OPS, OpDef, op

__all__ = ["OPS", "OpDef", "op"]
