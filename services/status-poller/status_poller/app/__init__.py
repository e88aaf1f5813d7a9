"""The status-poller's use cases: track what the dispatcher reports, poll operators, refresh."""
