"""SQL queries per page, counted in-process with Django's test client against the bench's own database.

Runs after ``workspace.prepare_site`` has set Django up with the site's settings. Each signed-in page is
requested with the very session cookie the load generator uses, twice: "cold" is the first request in a
process whose cache is empty (a freshly started worker), "warm" the steady state every later request sees.
"""

from dataclasses import dataclass

from .load import PAGES


@dataclass
class QueryCount:
    page: str
    cold: int
    warm: int
    statements: list[str]


def count_queries(session_cookie: str) -> list[QueryCount]:
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results = []
    for page in PAGES:
        for cache in caches.all():
            cache.clear()
        client = Client(HTTP_HOST="127.0.0.1")
        if page.signed_in:
            client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(page.path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {page.path} gave {response.status_code} in-process")
            counts.append(len(captured))
        results.append(QueryCount(page.label, counts[0], counts[1], [query["sql"] for query in captured]))
    connection.close()
    return results
