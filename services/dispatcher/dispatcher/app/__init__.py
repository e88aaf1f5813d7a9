"""app layer of the dispatcher service."""
