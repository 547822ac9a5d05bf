"""The email-sender service."""
