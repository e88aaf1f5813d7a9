"""The status-poller's PostgreSQL repositories and metrics."""
