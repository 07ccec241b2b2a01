"""Helpers for the digits-book study."""
