"""adapters layer of the dispatcher service."""
