"""Kafka handlers and HTTP routes: parse, call one use case, answer."""
