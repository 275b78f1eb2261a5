"""jaxnc-webgpu: WGSL kernels run by wgpu (in development; see README)."""

__version__ = "0.1.0"
