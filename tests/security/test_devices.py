"""The new-device warning: a sign-in from a browser the account has not used before sends one email; the device
cookie that tells browsers apart names no one."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from security.devices import COOKIE_AGE, COOKIE_SALT, DEVICES_PER_ACCOUNT
from security.models import KnownDevice
from testkit.people import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"  # noqa: E501 (a real header, whole)
SUBJECT = "New log-in to your Vitae account"


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks):
    """``sign_in(client, user)``: the log-in form, as a person submits it; emails sent on commit."""

    def submit(client: Client, user: User, **headers: str):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, **headers)
        assert response.status_code == 302, response.status_code
        client.post("/accounts/logout/")  # as a person does: the browser keeps its other cookies
        return response

    return submit


def device_id_in(cookie_value: str, name: str = "device") -> str:
    """The browser's id a device cookie carries, read as the site reads it (``request.get_signed_cookie``).

    Never compare signed values byte for byte: the signature embeds the second it was made, so the same id
    signed twice differs whenever a second boundary falls between the two."""
    request = HttpRequest()
    request.COOKIES[name] = cookie_value
    return request.get_signed_cookie(name, salt=COOKIE_SALT)


def warnings_to(user: User) -> list:
    return [message for message in mail.outbox if message.to == [user.email] and message.subject == SUBJECT]


def test_the_first_sign_in_of_an_account_sends_no_warning(user, sign_in):
    sign_in(Client(), user)
    assert warnings_to(user) == []
    assert KnownDevice.objects.filter(user=user).count() == 1


def test_the_sign_up_confirmation_sends_no_warning(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD})
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm)
    assert client.get("/profile/").status_code == 200
    assert not [message for message in mail.outbox if message.subject == SUBJECT]


def test_the_same_browser_signing_in_again_sends_no_warning(user, sign_in):
    browser = Client()
    sign_in(browser, user)
    sign_in(browser, user)
    assert warnings_to(user) == []


def test_another_browser_gets_one_warning_with_when_where_and_which(user, sign_in, settings, clock):
    sign_in(Client(), user)
    sign_in(Client(HTTP_USER_AGENT=CHROME_ANDROID), user, REMOTE_ADDR="203.0.113.7")
    [warning] = warnings_to(user)
    body = warning.body
    signed_in_at = timezone.now()  # the clock has stood still since the sign-in
    assert f"When: {signed_in_at.day} {signed_in_at:%B %Y, %H:%M} (UTC)" in body
    assert "Where: IP address 203.0.113.7\n" in body
    assert "Browser: Chrome on Android" in body
    assert f"{settings.SITE_URL}/accounts/password/change/" in body
    assert f"{settings.SITE_URL}/accounts/sessions/" in body
    [html] = [content for content, kind in warning.alternatives if kind == "text/html"]
    assert f'href="{settings.SITE_URL}/accounts/sessions/"' in html


def test_the_warning_says_so_when_the_address_is_private(user, sign_in):
    sign_in(Client(), user)
    sign_in(Client(), user, REMOTE_ADDR="192.168.1.20")
    assert "Where: IP address 192.168.1.20 (a private network" in warnings_to(user)[0].body


def test_links_in_the_warning_come_from_site_url_whatever_the_host(user, sign_in, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    sign_in(Client(), user)
    sign_in(Client(), user, HTTP_HOST="evil.example")
    assert "evil.example" not in warnings_to(user)[0].body


def test_the_second_sign_in_of_a_new_browser_is_known(user, sign_in):
    sign_in(Client(), user)
    second = Client()
    sign_in(second, user)
    sign_in(second, user)
    assert len(warnings_to(user)) == 1


def test_a_browser_whose_cookie_was_cleared_is_new_again(user, sign_in, settings):
    browser = Client()
    sign_in(browser, user)
    browser.cookies.clear()
    sign_in(browser, user)
    assert len(warnings_to(user)) == 1


def test_a_forged_or_tampered_cookie_counts_as_a_new_browser(user, sign_in):
    browser = Client()
    sign_in(browser, user)
    cookie = browser.cookies["device"]
    cookie.set("device", cookie.value[:-2] + "xx", cookie.value[:-2] + "xx")
    sign_in(browser, user)
    assert len(warnings_to(user)) == 1


def test_the_cookie_is_long_lived_http_only_and_names_no_one(user, sign_in, make_user):
    browser = Client()
    response = sign_in(browser, user)
    cookie = response.cookies["device"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == int(COOKIE_AGE.total_seconds())
    device_id = device_id_in(cookie.value)
    assert str(user.pk) not in device_id.split("-") and user.email not in cookie.value

    # The same browser and cookie for another account: its own, unrelated record.
    other = make_user()
    sign_in(browser, other)
    assert device_id_in(browser.cookies["device"].value) == device_id
    digests = set(KnownDevice.objects.values_list("digest", flat=True))
    assert len(digests) == 2
    assert all(device_id not in digest for digest in digests)


def test_the_cookie_is_secure_when_the_site_is_served_over_https(user, sign_in, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = sign_in(Client(), user, secure=True)
    assert response.cookies["__Secure-device"]["secure"]


def test_an_account_remembers_its_newest_browsers_only(user, sign_in):
    for _ in range(DEVICES_PER_ACCOUNT + 2):
        sign_in(Client(), user)
    assert KnownDevice.objects.filter(user=user).count() == DEVICES_PER_ACCOUNT


def test_pruning_forgets_browsers_whose_cookie_has_expired(user, sign_in):
    sign_in(Client(), user)
    sign_in(Client(), user)
    stale = KnownDevice.objects.filter(user=user).earliest("pk")
    KnownDevice.objects.filter(pk=stale.pk).update(last_seen_at=timezone.now() - COOKIE_AGE - timezone.timedelta(1))
    call_command("prune_security_events", verbosity=0)
    assert not KnownDevice.objects.filter(pk=stale.pk).exists()
    assert KnownDevice.objects.filter(user=user).count() == 1


def test_a_sign_in_costs_a_bounded_number_of_queries(user, sign_in, django_assert_max_num_queries):
    sign_in(Client(), user)
    with django_assert_max_num_queries(40):
        sign_in(Client(), user)


def test_rotating_the_secret_key_keeps_known_browsers_known(user, sign_in, settings):
    """The README invites rotating the key with the old one in DJANGO_SECRET_KEY_FALLBACKS: no one is warned."""
    browser = Client()
    sign_in(Client(), user)
    sign_in(browser, user)
    assert len(warnings_to(user)) == 1

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for the rotation test, long enough to be real"
    sign_in(browser, user)
    assert len(warnings_to(user)) == 1

    # That sign-in moved the browser's record to the new key: retiring the old one keeps it known.
    settings.SECRET_KEY_FALLBACKS = []
    sign_in(browser, user)
    assert len(warnings_to(user)) == 1
    assert KnownDevice.objects.filter(user=user).count() == 2


def test_a_key_replaced_without_a_fallback_makes_every_browser_new_once(user, sign_in, settings):
    browser = Client()
    sign_in(browser, user)
    settings.SECRET_KEY = "a new secret key for the rotation test, long enough to be real"

    sign_in(browser, user)
    sign_in(browser, user)

    assert len(warnings_to(user)) == 1
