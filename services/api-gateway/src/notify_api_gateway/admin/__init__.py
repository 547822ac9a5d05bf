"""The admin API: configuration data, behind its own bearer token."""
