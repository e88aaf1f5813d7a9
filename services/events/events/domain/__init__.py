"""domain layer of the events service."""
