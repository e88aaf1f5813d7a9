"""app layer of the events service."""
