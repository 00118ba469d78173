"""Helpers the tests share: source builders, golden sources, read-model readers."""
