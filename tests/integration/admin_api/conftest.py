"""The admin-api's integration tests share the api-gateway's fixtures: one in-process api-gateway
with its admin-api beside it for the package, and a fresh service (made through the admin API) for
each test that asks for one."""

from tests.integration.api_gateway.conftest import api_url, gateway_settings, sandbox

__all__ = ["api_url", "gateway_settings", "sandbox"]
