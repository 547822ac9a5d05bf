"""The api-gateway service."""
