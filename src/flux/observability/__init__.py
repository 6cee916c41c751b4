"""Observability shared by every Flux process: structured logs, Prometheus metrics, health endpoints."""
