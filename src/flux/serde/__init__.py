"""Serde placeholder."""
