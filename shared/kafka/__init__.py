"""Kafka plumbing of the services: producer, broker factory, batch consumers, dead letters."""
