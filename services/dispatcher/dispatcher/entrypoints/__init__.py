"""entrypoints layer of the dispatcher service."""
