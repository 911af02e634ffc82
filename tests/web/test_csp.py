"""The Content-Security-Policy header, built once per process: the same header django-csp builds, and django-csp's
own building wherever a view changes the policy of its response."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from web.csp import CSPMiddleware

pytestmark = pytest.mark.any_database


def respond(view, middleware_class=CSPMiddleware) -> HttpResponse:
    request = RequestFactory().get("/somewhere/")
    return middleware_class(view)(request)


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>page</p>")


def test_the_header_is_the_one_django_csp_builds(settings):
    settings.DEBUG = False
    ours, theirs = respond(page), respond(page, DjangoCSPMiddleware)
    assert ours[HEADER] == theirs[HEADER]
    assert "default-src 'self'" in ours[HEADER] and "frame-ancestors 'none'" in ours[HEADER]
    assert HEADER_REPORT_ONLY not in ours and HEADER_REPORT_ONLY not in theirs


def test_a_changed_setting_is_the_next_responses_header(settings):
    settings.DEBUG = False
    respond(page)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["https://img.example"]}}
    response = respond(page)
    assert response[HEADER] == "default-src 'none'"
    assert response[HEADER_REPORT_ONLY] == respond(page, DjangoCSPMiddleware)[HEADER_REPORT_ONLY]
    assert "img-src https://img.example" in response[HEADER_REPORT_ONLY]


@pytest.mark.parametrize("debug", [False, True])
def test_a_view_that_changes_its_policy_gets_its_own(settings, debug):
    settings.DEBUG = debug
    response = respond(csp_update({"img-src": "https://img.example"})(page))
    assert "img-src 'self' data: https://img.example" in response[HEADER]
    assert HEADER not in respond(csp_exempt()(page))


def test_a_nonce_a_view_asked_for_is_in_its_header(settings):
    settings.DEBUG = False
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}

    def with_nonce(request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]

    response = respond(with_nonce)
    nonce = response.content.decode().split("'")[1]
    assert f"script-src 'self' 'nonce-{nonce}'" in response[HEADER]
    assert "nonce-" not in respond(page)[HEADER]  # and only in its own
