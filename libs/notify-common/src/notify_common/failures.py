"""What a consumer does with a failure, decided once for every service: ``classify_failure``.

    UNAVAILABLE  a dependency (PostgreSQL, Redis, Kafka, S3, an HTTP dependency) cannot be reached
                 or is restarting: the record is fine, so the consumer pauses and handles the same
                 records again, with capped backoff, until the dependency is back. Nothing is
                 committed past them, nothing is dead-lettered, no retry budget is spent.
    RETRY        the record's own work failed in a way worth trying later (``RetryableError``):
                 it goes to the group's retry topic and spends one attempt of its budget.
    PERMANENT    nothing will ever make the record succeed (undecodable, invalid, a constraint
                 that can never hold, a bug): it goes to the dead-letter topic.

The exception and its explicit causes (``raise ... from``, SQLAlchemy's ``.orig``) are looked at,
so an adapter that translated a library error into ``RetryableError`` keeps what it was. The
implicit context (an exception raised while handling another) is not: a callback refused by a
service's own endpoint is that record's failure, not an unavailable dependency.
"""

from __future__ import annotations

import enum
import socket
from collections.abc import Iterator

import psycopg
import redis.exceptions
import sqlalchemy.exc
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from notify_common.errors import DependencyUnavailableError, RetryableError


class FailureClass(enum.Enum):
    UNAVAILABLE = "unavailable"
    RETRY = "retry"
    PERMANENT = "permanent"


# SQLSTATE classes (first two characters) and codes for a server that is there but cannot do the
# work now: connection exception, transaction rollback (serialization failure, deadlock),
# insufficient resources, operator intervention (admin shutdown, starting up, shutting down,
# statement timeout), system error; and a lock not available. From the PostgreSQL manual,
# appendix "PostgreSQL Error Codes": https://www.postgresql.org/docs/current/errcodes-appendix.html
_PG_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_PG_TRANSIENT_CODES = frozenset({"55P03", "55006"})

# Errors of libraries that notify-common does not depend on, named by (module, class) so that no
# service needs them installed: a class anywhere in the exception's MRO matches.
_UNAVAILABLE_BY_NAME = frozenset(
    {
        ("botocore.exceptions", "ConnectionError"),  # EndpointConnectionError, ConnectTimeoutError
        ("botocore.exceptions", "HTTPClientError"),  # ReadTimeoutError, ConnectionClosedError
        ("httpx", "TransportError"),  # ConnectError, ReadTimeout, RemoteProtocolError
        ("aiohttp.client_exceptions", "ClientConnectionError"),  # ServerDisconnected, timeouts
    }
)
# An AWS service answering that it cannot serve now (S3's 503 SlowDown, a 500).
_BOTO_CLIENT_ERROR = ("botocore.exceptions", "ClientError")

_REDIS_UNAVAILABLE = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
)
_SQLALCHEMY_UNAVAILABLE = (sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError)


def classify_failure(exc: BaseException) -> FailureClass:
    """What to do with a record whose handling raised ``exc``; see the module docstring."""
    if any(_is_unavailable(e) for e in _causes(exc)):
        return FailureClass.UNAVAILABLE
    if isinstance(exc, RetryableError):
        return FailureClass.RETRY
    return FailureClass.PERMANENT


def is_dependency_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) says a dependency cannot be reached now."""
    return classify_failure(exc) is FailureClass.UNAVAILABLE


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            todo.append(orig)


def _is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DependencyUnavailableError):
        return True
    if isinstance(exc, psycopg.OperationalError):
        return _pg_transient(exc.sqlstate)
    if isinstance(exc, psycopg.InterfaceError | ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _SQLALCHEMY_UNAVAILABLE + _REDIS_UNAVAILABLE):
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable) or isinstance(exc, KafkaConnectionError | KafkaTimeoutError)
    names = {(cls.__module__, cls.__name__) for cls in type(exc).__mro__}
    if names & _UNAVAILABLE_BY_NAME:
        return True
    return _BOTO_CLIENT_ERROR in names and _aws_status(exc) >= 500


def _pg_transient(sqlstate: str | None) -> bool:
    # No SQLSTATE: the failure is the connection's own (refused, reset, closed by the server).
    if sqlstate is None:
        return True
    return sqlstate[:2] in _PG_TRANSIENT_CLASSES or sqlstate in _PG_TRANSIENT_CODES


def _aws_status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return 0
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0
