"""The letter-sender service."""
