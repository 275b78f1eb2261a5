"""jaxnc implementation (JAX's convention: public modules re-export from here)."""
