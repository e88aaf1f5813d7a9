"""The status-poller's Kafka handlers (and, later, its receipt webhooks)."""
