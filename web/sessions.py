"""Sessions in the database with the shared cache in front (``cached_db``), kept when the cache fails.

Django's ``cached_db`` falls back to the database when reading the cache fails, but then writes the session back to
the cache and lets that failure through: with Redis stopped every signed-in page was a 500, and with Redis hung each
one waited for it first. Here a cache that fails is a miss: the session is read from and saved to the database, the
cache is not asked again during that request, and one line says so.

A session's end is the exception. Its copy in the cache goes first, and if the cache cannot be reached the end
fails (the site's 503 page) with the row still there: a log-out that deleted only the row would come back to life
from the cache once the cache answered again.
"""

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache.backends.base import BaseCache

from .outages import CACHE_FAULTS, describe

logger = logging.getLogger(__name__)

MISSING = object()


class CacheInFront:
    """The cache as ``cached_db`` reads and fills it, where a failure is a miss and the cache is left alone after."""

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache
        self.failed = False

    def _ask(self, operation: str, *args: Any) -> Any:
        if self.failed:
            return MISSING
        try:
            return getattr(self.cache, operation)(*args)
        except CACHE_FAULTS as error:
            self.failed = True
            logger.warning(
                "sessions read from the database: the cache failed",
                extra={"event": "session_cache_unavailable", "part": "cache", "error": describe(error)},
            )
            return MISSING

    def get(self, key: str, default: Any = None) -> Any:
        value = self._ask("get", key, default)
        return default if value is MISSING else value

    def set(self, key: str, value: Any, timeout: Any) -> None:
        self._ask("set", key, value, timeout)

    def __contains__(self, key: str) -> bool:
        return self._ask("has_key", key) is True

    def delete(self, key: str) -> bool:
        return self.cache.delete(key)  # never a miss: see the module's docstring

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cache, name)  # what cached_db's async twins ask for, unchanged

    def __str__(self) -> str:
        return str(self.cache)


class SessionStore(cached_db.SessionStore):
    _cache: Any  # a CacheInFront, which speaks the part of a cache's API that cached_db uses

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = CacheInFront(self._cache)

    def delete(self, session_key: str | None = None) -> None:
        """End the session: its copy in the cache first (raising while the cache fails), then its row."""
        key = session_key if session_key is not None else self.session_key
        if key is not None:
            self._cache.delete(self.cache_key_prefix + key)
        DatabaseSessionStore.delete(self, session_key)
