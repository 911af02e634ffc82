"""SQL queries per page, counted in-process through the site's WSGI handler against the bench's own database.

Each signed-in page is requested with the very session cookie the load generator uses, twice: "cold" is the first
request of a fresh handler with every cache emptied (a freshly started worker), "warm" the steady state every
later request sees.
"""

from dataclasses import dataclass

from . import inprocess
from .pages import PAGES


@dataclass
class QueryCount:
    page: str
    cold: int
    warm: int
    statements: list[str]

    @property
    def most(self) -> int:
        return max(self.cold, self.warm)


def count_queries(session_cookie: str) -> list[QueryCount]:
    from django.core.cache import caches
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for page in PAGES:
        for cache in caches.all():
            cache.clear()
        application = WSGIHandler()
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                inprocess.request(application, page, session_cookie)
            counts.append(len(captured))
        results.append(QueryCount(page.label, counts[0], counts[1], [query["sql"] for query in captured]))
    connection.close()
    return results
