"""Shared library of the notification platform: events, codec, topics, Kafka wrappers, domain helpers."""
