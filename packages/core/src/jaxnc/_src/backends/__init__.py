"""Backends: the protocol, the pluggy registry and the built-in NumPy backend `cpu`."""
