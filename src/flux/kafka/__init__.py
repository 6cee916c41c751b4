"""Kafka runtime: client configuration, topic administration and async clients (confluent-kafka)."""
