"""adapters layer of the events service."""
