"""jaxnc-optax's implementation; the public names live in `jaxnc_optax` and its sub-namespaces."""
