"""jaxnc-loaders: safetensors files, BPE tokenizers, cached downloads and weight-name helpers for jaxnc."""

from jaxnc_loaders import safetensors
from jaxnc_loaders.fetch import FetchError, cached_fetch, default_cache_dir
from jaxnc_loaders.names import flatten_dict, rename_keys, unflatten_dict

__all__ = [
    "FetchError",
    "cached_fetch",
    "default_cache_dir",
    "flatten_dict",
    "rename_keys",
    "safetensors",
    "tokenizers",
    "unflatten_dict",
]


def __getattr__(name: str):
    # NB: the tokenizers pull in `regex` and `ftfy`; import them only when asked for.
    if name == "tokenizers":
        import importlib

        return importlib.import_module("jaxnc_loaders.tokenizers")
    raise AttributeError(f"module 'jaxnc_loaders' has no attribute {name!r}")
