"""Pages that show one person's data are never cached: ``Cache-Control: private, no-store``."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.cache import get_max_age

from accounts.deletion import schedule_account_deletion
from testkit.pages import SIGNED_IN_PAGES
from web.middleware import PrivateResponsesMiddleware

# Each person's own pages, and the ones around them a signed-in person also reaches.
SIGNED_IN_URLS = ["/", *SIGNED_IN_PAGES, "/accounts/logout/", "/no-such-page/", "/admin/", "/admin/accounts/user/"]


def cache_directives(response) -> set[str]:
    return {directive.strip() for directive in response.get("Cache-Control", "").split(",") if directive.strip()}


@pytest.mark.parametrize("url", SIGNED_IN_URLS)
def test_every_page_a_signed_in_person_sees_is_private_and_never_stored(client, reauthenticated, user_with_cv, url):
    user_with_cv.is_staff = user_with_cv.is_superuser = True
    user_with_cv.save()
    reauthenticated(user_with_cv)

    response = client.get(url)

    # The home page sends a signed-in person on to their profile: a redirect no shared cache may keep either.
    assert response.status_code in ({302} if url == "/" else {200, 404}), response.status_code
    assert {"private", "no-store"} <= cache_directives(response)
    assert "public" not in cache_directives(response)


def test_the_grace_periods_page_is_private_and_never_stored(client, user, deferring_tasks):
    schedule_account_deletion(user=user)
    client.force_login(user)

    response = client.get("/accounts/delete/scheduled/")

    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_directives(response)


def test_the_staff_cv_download_is_private_and_never_stored(admin_client, user_with_cv):
    response = admin_client.get(f"/admin/accounts/user/{user_with_cv.pk}/cv/")

    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_directives(response)


def test_a_signed_out_page_with_a_form_is_private_its_csrf_token_is_the_visitors(client, db):
    response = client.get("/accounts/password/reset/")

    assert "csrfmiddlewaretoken" in response.content.decode()
    assert {"private", "no-store"} <= cache_directives(response)


def test_the_log_in_response_that_sets_the_session_cookie_is_private(client, user, password):
    response = client.post("/accounts/login/", {"login": user.email, "password": password})

    assert response.status_code == 302
    assert {"private", "no-store"} <= cache_directives(response)


def test_the_signed_out_home_page_costs_no_query_and_is_private_for_its_language_forms_token(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/")

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()  # the footer's language switch posts to set_language
    assert {"private", "no-store"} <= cache_directives(response)


def test_a_response_that_sets_no_cookie_for_a_signed_out_visitor_stays_cacheable(client, db):
    response = client.get("/profile/")  # signed out: a redirect to the log-in page, no page and no cookie

    assert response.status_code == 302
    assert "private" not in cache_directives(response)


def test_a_view_that_asked_for_public_caching_is_made_private_for_a_signed_in_person(settings):
    request = RequestFactory().get("/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc")

    def public_view(request):
        response = HttpResponse("your data")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    response = PrivateResponsesMiddleware(public_view)(request)

    assert {"private", "no-store"} <= cache_directives(response)
    assert "public" not in cache_directives(response)
    assert get_max_age(response) == 3600  # harmless beside no-store; the middleware only adds what protects
