"""entrypoints layer of the events service."""
