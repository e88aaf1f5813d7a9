"""Use cases: one function per thing a message or a person asks of reporting."""
