"""lax: the primitive-level API."""
