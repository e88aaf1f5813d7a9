"""The status-poller's entrypoints: its Kafka handlers and the delivery-receipt webhook."""
