"""Who is calling the alpha or the beta API, as the same ``Authenticated`` caller v2 sends take,
with each generation's errors (``answered`` puts any error in the generation's shape). Both refuse
a service whose switch for that generation is off.

* alpha: ``Authorization: Bearer <token>``, a plain token issued by the management plane, looked up by
  its SHA-256 digest; it acts as an API key of the type it was issued with.
* beta: a request-signing JWT (``signing``) verified against the service's v2 API keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from notify_api_gateway.auth import Authenticated, bearer_token, unverified_issuer
from notify_api_gateway.dependencies import AppState, State
from notify_api_gateway.errors import unavailable
from notify_api_gateway.legacy import alpha, beta
from notify_api_gateway.legacy.signing import SignedRequest, SigningError, verify
from notify_api_gateway.legacy.store import LegacyStore
from notify_common.api_errors import ApiError


async def get_legacy(state: State) -> LegacyStore:
    return state.legacy


Legacy = Annotated[LegacyStore, Depends(get_legacy)]


async def alpha_caller(request: Request, state: AppState, legacy: LegacyStore) -> Authenticated:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise alpha.AlphaError(401, alpha.MISSING_TOKEN)
    token = await legacy.token(given.strip())
    if token is None or token.revoked:
        raise alpha.AlphaError(403, alpha.INVALID_TOKEN)
    config = await state.repository.service_config(token.service_id)
    if config is None or not config.service.active:
        raise alpha.AlphaError(403, alpha.INVALID_TOKEN)
    if not (await legacy.switches(token.service_id)).alpha:
        raise alpha.AlphaError(403, alpha.NOT_ENABLED)
    return Authenticated(service=config.service, api_key=token, config=config)


async def beta_caller(request: Request, state: AppState, legacy: LegacyStore, body: bytes) -> Authenticated:
    try:
        token = bearer_token(request.headers.get("authorization"))
        service_id = unverified_issuer(token)
    except ApiError as exc:
        raise beta.from_api_error(exc) from None
    config = await state.repository.service_config(service_id)
    if config is None:
        raise beta.BetaError(403, "Invalid token: service not found")
    if not config.service.active:
        raise beta.BetaError(403, "Invalid token: service is archived")
    signed = SignedRequest(method=request.method, path=request.url.path, body=body)
    try:
        key = verify(token, config.keys, signed)
    except SigningError as exc:
        raise beta.BetaError(403, exc.message) from None
    if not (await legacy.switches(service_id)).beta:
        raise beta.BetaError(403, beta.NOT_ENABLED)
    return Authenticated(service=config.service, api_key=key, config=config)


async def answered(
    call: Callable[[], Awaitable[JSONResponse]],
    own: type[alpha.AlphaError | beta.BetaError],
    from_api_error: Callable[[ApiError], alpha.AlphaError | beta.BetaError],
) -> JSONResponse:
    """``call``'s answer, or its error in the generation's shape: the generation's own as raised,
    v2's translated, and a dependency that is unavailable as the 503."""
    try:
        return await call()
    except own as exc:
        error = exc
    except ApiError as exc:
        error = from_api_error(exc)
    except Exception as exc:
        unavailable_error = unavailable(exc)
        if unavailable_error is None:
            raise
        error = from_api_error(unavailable_error)
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)
