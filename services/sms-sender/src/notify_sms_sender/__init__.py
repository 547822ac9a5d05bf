"""The sms-sender service."""
