"""The callbacks service."""
