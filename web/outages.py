"""When a part the site depends on fails for now: which part an error names, and the one log line that says so.

A database that cannot be reached or written (a server restarting, a disk full, SQLite's write lock held past the
busy timeout), a cache that does not answer (Redis stopped, hung, out of memory) or the CV's storage is no bug of the
site: the request can succeed again in a few minutes, and the person is told so (``web.views.server_error``'s 503
page). Anything else a request raises stays a bug: a 500, with Django's traceback in the log.
"""

import logging
import sqlite3

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

from accounts.cv import CVStorageUnavailable

logger = logging.getLogger(__name__)

# What django-redis (and Django's own Redis backend) raise when Redis fails: no connection or no answer in time
# (hung, restarting, still loading its data), or a server that refuses writes (out of memory, a read-only replica).
CACHE_FAULTS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
)

# SQLite raises OperationalError for a missing table or a syntax error too (SQLITE_ERROR): those are bugs. These
# result codes are the database file failing for now: locked past the busy timeout, a full disk, an I/O error, a
# file that cannot be opened or written.
SQLITE_FAILURES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


def failing_part(error: BaseException | None) -> str | None:
    """The part whose failure ``error`` is (``"database"``, ``"cache"`` or ``"storage"``); None for a bug."""
    if isinstance(error, CVStorageUnavailable):
        return "storage"
    if isinstance(error, CACHE_FAULTS):
        return "cache"
    if isinstance(error, (OperationalError, InterfaceError)):
        cause = error.__cause__  # Django wraps the driver's own exception
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(cause, sqlite3.Error) and code is not None and code & 0xFF not in SQLITE_FAILURES:
            return None
        return "database"
    return None


def report_outage(request: HttpRequest, *, part: str, error: BaseException) -> None:
    """Log the failure once, as an event naming the part: one WARNING line per request it failed, no traceback."""
    logger.warning(
        "a part the site depends on is unavailable",
        extra={
            "event": "dependency_unavailable",
            "part": part,
            "error": describe(error),
            "method": request.method,
            "path": request.path,
        },
    )


def describe(error: BaseException) -> str:
    """The error as an operator reads it: its class and message (redis-py's own repr names neither)."""
    return f"{type(error).__name__}: {error}"
