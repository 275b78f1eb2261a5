"""jaxnc-wasm: jaxnc's WebAssembly backend (generated SIMD kernels run by wasmtime)."""

__version__ = "0.1.0"
