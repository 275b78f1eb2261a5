"""Gradient transformations and their combinators, as `optax.transforms`."""

from jaxnc_optax._src.accumulation import (
    EmaState,
    MultiSteps,
    MultiStepsState,
    ShouldSkipUpdateFunction,
    TraceState,
    ema,
    skip_large_updates,
    skip_not_finite,
    trace,
)
from jaxnc_optax._src.adding import (
    AddNoiseState,
    WeightDecaySchedule,
    add_decayed_weights,
    add_noise,
)
from jaxnc_optax._src.clipping import (
    adaptive_grad_clip,
    clip,
    clip_by_block_rms,
    clip_by_global_norm,
    unitwise_clip,
    unitwise_norm,
)
from jaxnc_optax._src.combining import PartitionState, chain, named_chain, partition
from jaxnc_optax._src.conditionality import (
    ApplyIfFiniteState,
    ConditionallyMaskState,
    ConditionallyTransformState,
    ConditionFn,
    apply_if_finite,
    conditionally_mask,
    conditionally_transform,
)
from jaxnc_optax._src.constraining import (
    NonNegativeParamsState,
    ZeroNansState,
    keep_params_nonnegative,
    zero_nans,
)
from jaxnc_optax._src.freezing import freeze, selective_transform
from jaxnc_optax._src.layouts import flatten
from jaxnc_optax._src.masking import MaskedNode, MaskedState, masked

__all__ = [
    "AddNoiseState",
    "ApplyIfFiniteState",
    "ConditionFn",
    "ConditionallyMaskState",
    "ConditionallyTransformState",
    "EmaState",
    "MaskedNode",
    "MaskedState",
    "MultiSteps",
    "MultiStepsState",
    "NonNegativeParamsState",
    "PartitionState",
    "ShouldSkipUpdateFunction",
    "TraceState",
    "WeightDecaySchedule",
    "ZeroNansState",
    "adaptive_grad_clip",
    "add_decayed_weights",
    "add_noise",
    "apply_if_finite",
    "chain",
    "clip",
    "clip_by_block_rms",
    "clip_by_global_norm",
    "conditionally_mask",
    "conditionally_transform",
    "ema",
    "flatten",
    "freeze",
    "keep_params_nonnegative",
    "masked",
    "named_chain",
    "partition",
    "selective_transform",
    "skip_large_updates",
    "skip_not_finite",
    "trace",
    "unitwise_clip",
    "unitwise_norm",
    "zero_nans",
]
