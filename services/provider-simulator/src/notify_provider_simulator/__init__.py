"""The provider-simulator service."""
