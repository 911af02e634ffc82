"""The cache backends the settings name: Django's own, made to say so when they cannot do what they were asked.

Django's ``DatabaseCache`` swallows every database error while it writes ("to be threadsafe") and answers
``False``. allauth's rate limiter takes its lock with ``cache.add``, so a database that cannot be written (a full disk,
SQLite's write lock held past the busy timeout) read as a limit hit: "too many attempts" for everyone, and nothing
logged. Here such a write raises the database's error, which the site answers with its 503 page
(``web.views.server_error``): a site that cannot count attempts checks no password.
"""

from typing import Any

from django.core.cache.backends import db
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import DatabaseError, IntegrityError, connections, router, transaction


class DatabaseCache(db.DatabaseCache):
    """Django's database cache, whose writes fail loudly; only a concurrent write of the same key is let pass."""

    def _base_set(self, mode: str, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        using = router.db_for_write(self.cache_model_class)
        failures: list[DatabaseError] = []

        def note_failure(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
            try:
                return execute(sql, params, many, context)
            except DatabaseError as error:
                failures.append(error)
                raise

        # In a transaction of ours, Django's own becomes a savepoint: beginning and committing (where a held lock or
        # a full disk fails) happen here, in the open, and the statements inside are watched for what Django would
        # swallow. The one failure it means to swallow is two requests inserting the same key at once.
        with transaction.atomic(using=using), connections[using].execute_wrapper(note_failure):
            stored = super()._base_set(mode, key, value, timeout)  # type: ignore[misc]  # private, not in the stubs
            for failure in failures:
                if not isinstance(failure, IntegrityError):
                    raise failure
        return stored
