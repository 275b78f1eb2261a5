"""jaxnc.scipy."""
