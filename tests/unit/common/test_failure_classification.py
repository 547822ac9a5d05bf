"""Which failures pause a consumer (a dependency is unavailable), which spend a retry and which
dead-letter the record: over real exception instances of every library the services use."""

from __future__ import annotations

import socket
from typing import Any

import aiohttp
import botocore.exceptions
import httpx
import psycopg
import psycopg.errors
import pytest
import redis.exceptions
import sqlalchemy.exc
from aiokafka import errors as kafka_errors

from notify_common.errors import DependencyUnavailableError, PermanentError, RetryableError, ThrottledError
from notify_common.failures import FailureClass, classify_failure, is_dependency_unavailable


def _sqlalchemy(
    cls: type[sqlalchemy.exc.DBAPIError], orig: Exception, *, invalidated: bool = False
) -> Exception:
    try:
        try:
            raise orig
        except Exception as dbapi:
            raise cls("SELECT 1", {}, dbapi, connection_invalidated=invalidated) from dbapi
    except sqlalchemy.exc.DBAPIError as exc:
        return exc


def _wrapped(cause: Exception) -> RetryableError:
    try:
        try:
            raise cause
        except Exception as exc:
            raise RetryableError("database unavailable") from exc
    except RetryableError as exc:
        return exc


def _client_error(status: int, code: str) -> botocore.exceptions.ClientError:
    response: Any = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore.exceptions.ClientError(response, "PutObject")


UNAVAILABLE: list[BaseException] = [
    psycopg.OperationalError("connection failed: Connection refused"),
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.errors.CannotConnectNow("the database system is starting up"),
    psycopg.errors.CannotConnectNow("the database system is shutting down"),
    psycopg.errors.ConnectionFailure("server closed the connection unexpectedly"),
    psycopg.errors.TooManyConnections("sorry, too many clients already"),
    psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.SerializationFailure("could not serialize access"),
    psycopg.InterfaceError("the connection is closed"),
    _sqlalchemy(sqlalchemy.exc.OperationalError, psycopg.OperationalError("connection refused")),
    _sqlalchemy(sqlalchemy.exc.OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
    _sqlalchemy(sqlalchemy.exc.InterfaceError, psycopg.InterfaceError("the connection is lost")),
    _sqlalchemy(sqlalchemy.exc.DBAPIError, psycopg.DatabaseError("consuming input failed"), invalidated=True),
    sqlalchemy.exc.DisconnectionError("connection invalidated"),
    sqlalchemy.exc.TimeoutError("QueuePool limit of size 3 overflow 0 reached"),
    _wrapped(psycopg.OperationalError("connection refused")),
    _wrapped(ConnectionResetError(104, "Connection reset by peer")),
    ConnectionRefusedError(111, "Connection refused"),
    ConnectionResetError(104, "Connection reset by peer"),
    BrokenPipeError(32, "Broken pipe"),
    TimeoutError(),
    socket.gaierror(-2, "Name or service not known"),
    redis.exceptions.ConnectionError("Error 111 connecting to redis:6379. Connection refused."),
    redis.exceptions.TimeoutError("Timeout reading from socket"),
    redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"),
    botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3:9000/bucket"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="http://s3:9000/bucket"),
    botocore.exceptions.ReadTimeoutError(endpoint_url="http://s3:9000/bucket"),
    botocore.exceptions.ConnectionClosedError(endpoint_url="http://s3:9000/bucket"),
    _client_error(503, "SlowDown"),
    _client_error(500, "InternalError"),
    httpx.ConnectError("All connection attempts failed"),
    httpx.ReadTimeout("timed out"),
    aiohttp.ServerDisconnectedError(),
    aiohttp.ServerTimeoutError("timeout"),
    kafka_errors.KafkaConnectionError("Unable to bootstrap from [('kafka', 9092)]"),
    kafka_errors.KafkaTimeoutError(),
    kafka_errors.RequestTimedOutError(),
    kafka_errors.NotLeaderForPartitionError(),
    kafka_errors.NotEnoughReplicasError(),
    kafka_errors.NotEnoughReplicasAfterAppendError(),
    kafka_errors.LeaderNotAvailableError(),
    kafka_errors.NodeNotReadyError(),
    DependencyUnavailableError("job store unavailable"),
]

RETRY: list[BaseException] = [
    RetryableError("notification not projected yet"),
    RetryableError("callback failed"),
    ThrottledError("slow down"),
]

PERMANENT: list[BaseException] = [
    PermanentError("SmsRequested without a notification id"),
    ValueError("not an Avro record"),
    KeyError("template_id"),
    psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
    psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum"),
    psycopg.errors.CheckViolation("new row violates check constraint"),
    _sqlalchemy(sqlalchemy.exc.IntegrityError, psycopg.errors.ForeignKeyViolation("violates foreign key")),
    _sqlalchemy(sqlalchemy.exc.DataError, psycopg.errors.StringDataRightTruncation("value too long")),
    _sqlalchemy(sqlalchemy.exc.OperationalError, psycopg.errors.ProgramLimitExceeded("row is too big")),
    kafka_errors.MessageSizeTooLargeError(),
    _client_error(403, "AccessDenied"),
    _client_error(404, "NoSuchKey"),
]


def _name(exc: BaseException) -> str:
    return f"{type(exc).__name__}:{str(exc)[:40]}"


@pytest.mark.parametrize("exc", UNAVAILABLE, ids=_name)
def test_an_unavailable_dependency_pauses_the_consumer(exc: BaseException) -> None:
    assert classify_failure(exc) is FailureClass.UNAVAILABLE
    assert is_dependency_unavailable(exc)


@pytest.mark.parametrize("exc", RETRY, ids=_name)
def test_a_retryable_failure_of_the_record_itself_spends_a_retry(exc: BaseException) -> None:
    assert classify_failure(exc) is FailureClass.RETRY
    assert not is_dependency_unavailable(exc)


@pytest.mark.parametrize("exc", PERMANENT, ids=_name)
def test_a_failure_that_can_never_succeed_is_permanent(exc: BaseException) -> None:
    assert classify_failure(exc) is FailureClass.PERMANENT


def _raised_while_handling(context: Exception, exc: Exception) -> Exception:
    try:
        try:
            raise context
        except Exception:
            raise exc  # noqa: B904 - the implicit context is the point
    except Exception as raised:
        return raised


def test_an_error_raised_while_handling_a_connection_error_is_not_taken_for_it() -> None:
    exc = _raised_while_handling(
        httpx.ConnectError("callback endpoint down"), RetryableError("callback failed")
    )
    assert exc.__context__ is not None
    assert classify_failure(exc) is FailureClass.RETRY


def test_a_cycle_of_causes_ends() -> None:
    first, second = RetryableError("a"), RetryableError("b")
    first.__cause__, second.__cause__ = second, first
    assert classify_failure(first) is FailureClass.RETRY
