"""The error handler tells a part that failed for now (the 503 page) from a bug of the site (the 500 page)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

SERVER_ERROR_PAGE = "Something went wrong"  # templates/500.html


def test_a_missing_table_is_a_bug_of_the_site_and_answers_the_500_page_not_the_503(client, user):
    """SQLite reports a missing table as an OperationalError, as it does a locked or full database: only the latter
    are a part failing for now (tests/web/test_database_outages.py)."""
    client.force_login(user)
    client.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_session")  # a release served before `migrate` ran; rolled back after

    response = client.get("/profile/")

    assert response.status_code == 500
    assert SERVER_ERROR_PAGE in response.content.decode()
    assert "Retry-After" not in response
