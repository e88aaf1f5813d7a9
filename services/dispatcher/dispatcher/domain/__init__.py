"""domain layer of the dispatcher service."""
