"""allauth.mfa's pages as a person reads them: passkeys apart from security keys (added, listed, renamed, removed,
each called what it is, in messages and emails too), a second step that offers only what the account has, recovery
codes to store, and confirmations with a way back."""

import base64
import re
from html import unescape

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from testkit.people import PASSWORD
from testkit.totp import totp_code

pytestmark = pytest.mark.django_db

SECRET_FIELD = re.compile(r'id="authenticator_secret"[^>]*?value="([A-Z2-7]+)"')

CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


def text(page: str) -> str:
    """The page's words as a person reads them, without its markup."""
    without_scripts = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", without_scripts)).split())


def solid_primary_buttons(page: str) -> list[str]:
    return re.findall(r'class="btn btn-primary[^"]*"[^>]*>\s*([^<]+?)\s*<', page)


def turn_on_the_authenticator_app(client: Client, clock, capture) -> str:
    """From its page, as a person does; returns the secret the page showed."""
    secret = SECRET_FIELD.search(client.get("/accounts/2fa/totp/activate/").content.decode()).group(1)
    with capture(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)})
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    return secret


@pytest.fixture
def two_factor(reauthenticated, user, clock, django_capture_on_commit_callbacks) -> str:
    """``user`` with the authenticator app turned on; returns its secret. The client stays signed in."""
    secret = turn_on_the_authenticator_app(reauthenticated(user), clock, django_capture_on_commit_callbacks)
    clock.advance(30)  # a new window: the next code is a new one
    return secret


def log_in_with_password(client: Client, user) -> None:
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/authenticate/")


def add_key(user, name: str, *, passkey: bool) -> Authenticator:
    """A key as allauth stores it, with what the page reads of it: its name and whether the browser made it a
    passkey (the credential's ``credProps.rk``)."""
    credential = {"clientExtensionResults": {"credProps": {"rk": passkey}}}
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": name, "credential": credential}
    )


# --- The two-factor page -------------------------------------------------------------------------------------


def test_the_two_factor_page_offers_a_passkey_first_and_security_keys_apart(reauthenticated, user):
    page = reauthenticated(user).get("/accounts/2fa/").content.decode()

    assert "<h1>Two-factor authentication and passkeys</h1>" in page
    words = text(page)
    assert words.index("Passkeys") < words.index("Authenticator app") < words.index("Security keys")
    assert '<a class="btn btn-primary" href="/accounts/2fa/webauthn/add/">Add a passkey</a>' in page
    assert 'href="/accounts/2fa/webauthn/add/?type=security-key">Add a security key</a>' in page
    assert solid_primary_buttons(page) == ["Add a passkey"]  # one primary action; Activate is outlined
    assert re.search(r'<a class="btn btn-outline-primary" href="/accounts/2fa/totp/activate/">Activate</a>', page)


def test_passkeys_and_security_keys_are_listed_apart_each_with_rename_and_remove(reauthenticated, user):
    phone = add_key(user, "Chrome on Android", passkey=True)
    yubikey = add_key(user, "YubiKey 5", passkey=False)

    for path in ("/accounts/2fa/", "/accounts/2fa/webauthn/"):
        page = reauthenticated(user).get(path).content.decode()
        passkeys = re.search(r'<ul [^>]*aria-label="Your passkeys">(.*?)</ul>', page, re.S).group(1)
        security_keys = re.search(r'<ul [^>]*aria-label="Your security keys">(.*?)</ul>', page, re.S).group(1)
        assert "Chrome on Android" in passkeys and "YubiKey" not in passkeys, path
        assert "YubiKey 5" in security_keys and "Chrome on Android" not in security_keys, path
        assert text(passkeys).count("Rename Chrome on Android") == 1
        assert f'href="/accounts/2fa/webauthn/keys/{phone.pk}/edit/"' in passkeys
        assert f'href="/accounts/2fa/webauthn/keys/{yubikey.pk}/remove/"' in security_keys
        assert "Remove YubiKey 5" in text(security_keys)


# --- Adding a key --------------------------------------------------------------------------------------------


def test_adding_a_key_is_a_passkey_named_after_the_device(reauthenticated, user):
    client = reauthenticated(user)

    page = client.get("/accounts/2fa/webauthn/add/", HTTP_USER_AGENT=CHROME_ON_ANDROID).content.decode()

    assert "<h1>Add a passkey</h1>" in page
    assert re.search(r'<input [^>]*name="name" value="Chrome on Android"', page)
    assert '<input type="checkbox" name="passwordless" id="id_passwordless" hidden checked>' in page
    assert "Passwordless" not in text(page)  # the kind is chosen by the button that led here, not asked
    assert re.search(r'<a href="/accounts/2fa/" class="btn btn-outline-secondary"\s*>\s*Cancel', page)


def test_a_security_key_is_added_as_a_second_step(reauthenticated, user):
    page = reauthenticated(user).get("/accounts/2fa/webauthn/add/?type=security-key").content.decode()

    assert "<h1>Add a security key</h1>" in page
    assert '<input type="checkbox" name="passwordless" id="id_passwordless" hidden>' in page
    assert 'action="/accounts/2fa/webauthn/add/?type=security-key"' in page


def test_why_a_key_failed_is_told_in_the_pages_language(reauthenticated, user):
    """The words static/js/webauthn-errors.js shows come from the page, translated (they were English everywhere)."""
    page = reauthenticated(user).get("/accounts/2fa/webauthn/add/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    words = re.search(r'<div hidden id="webauthn-messages"([^>]*)>', page).group(1)
    assert 'data-not-allowed="Ihr Passkey oder Sicherheitsschlüssel hat nicht geantwortet' in unescape(words)
    assert "did not answer" not in words


# --- Renaming and removing a key --------------------------------------------------------------------------


@pytest.mark.parametrize(("passkey", "kind"), [(True, "passkey"), (False, "security key")])
def test_renaming_a_key_calls_it_what_it_is(reauthenticated, user, passkey, kind):
    key = add_key(user, "Chrome on Android", passkey=passkey)
    client = reauthenticated(user)

    page = client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/").content.decode()
    assert f"<h1>Rename a {kind}</h1>" in page
    client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/", {"name": "My phone"})

    assert Authenticator.objects.get(pk=key.pk).wrap().name == "My phone"


@pytest.mark.parametrize(
    ("passkey", "heading", "message", "subject", "sentence"),
    [
        (
            True,
            "Remove the passkey “Chrome on Android”?",
            "Passkey removed.",
            "Passkey removed",
            "The passkey “Chrome on Android” was removed from your account",
        ),
        (
            False,
            "Remove the security key “Chrome on Android”?",
            "Security key removed.",
            "Security key removed",
            "The security key “Chrome on Android” was removed from your account.",
        ),
    ],
)
def test_removing_a_key_names_it_offers_a_way_back_and_words_the_notice_by_its_kind(
    reauthenticated, user, passkey, heading, message, subject, sentence, django_capture_on_commit_callbacks
):
    key = add_key(user, "Chrome on Android", passkey=passkey)
    client = reauthenticated(user)

    page = client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/").content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert solid_primary_buttons(page) == []  # destructive only: the removal in red, the way back outlined
    assert re.search(r'<button class="btn btn-danger"\s+type="submit">\s*Remove', page)
    assert re.search(r'<a href="/accounts/2fa/" class="btn btn-outline-secondary"\s*>\s*Cancel', page)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/", follow=True)

    assert message in text(response.content.decode())
    [notice] = [email for email in mail.outbox if subject.lower() in email.subject.lower()]
    assert sentence in notice.body
    assert "Security Key" not in notice.subject if passkey else "Passkey" not in notice.subject


# --- The authenticator app -----------------------------------------------------------------------------------


def test_the_qr_code_is_drawn_on_white(reauthenticated, user):
    page = reauthenticated(user).get("/accounts/2fa/totp/activate/").content.decode()

    image = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="QR code[^"]*" class="([^"]*)"', page)
    svg = base64.b64decode(image.group(1)).decode()
    assert re.search(r'<rect[^>]*fill="white"', svg) or 'fill="#fff' in svg, svg[:300]
    assert "qr-code" in image.group(2).split()  # the white tile around it (static/css/site.css)


def test_deactivating_the_authenticator_app_offers_a_way_back(two_factor, user, client):
    page = client.get("/accounts/2fa/totp/deactivate/").content.decode()

    assert solid_primary_buttons(page) == []
    assert re.search(r'<button class="btn btn-danger"\s+type="submit">\s*Deactivate', page)
    assert re.search(r'<a href="/accounts/2fa/" class="btn btn-outline-secondary"\s*>\s*Cancel', page)


# --- Recovery codes ------------------------------------------------------------------------------------------


# allauth adds its messages once the change is committed; with a transaction per test (the default), that would be
# after the response. These tests commit as the site does.
@pytest.mark.django_db(transaction=True)
def test_the_first_recovery_codes_are_to_store_now_not_news_of_a_new_set(reauthenticated, user, clock):
    client = reauthenticated(user)
    secret = SECRET_FIELD.search(client.get("/accounts/2fa/totp/activate/").content.decode()).group(1)

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)}, follow=True)

    assert response.redirect_chain == [("/accounts/2fa/recovery-codes/", 302)]
    page = response.content.decode()
    words = text(page)
    assert "Authenticator app activated." in words
    assert "Store these codes now, somewhere safe" in words and "Each code works once." in words
    assert "new set" not in words.lower() and "New recovery codes" not in words
    assert '<a class="btn btn-primary" href="/accounts/2fa/recovery-codes/download/">Download</a>' in page
    assert re.search(r"<button [^>]*data-copy-codes[^>]*hidden>Copy</button>", page)
    assert re.search(r"<button [^>]*data-print-codes[^>]*hidden>Print</button>", page)
    assert f"Vitae recovery codes for {user.email}" in words  # on the printed sheet too


@pytest.mark.django_db(transaction=True)
def test_new_recovery_codes_say_the_old_ones_no_longer_work(reauthenticated, user, clock):
    client = reauthenticated(user)
    secret = SECRET_FIELD.search(client.get("/accounts/2fa/totp/activate/").content.decode()).group(1)
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret, clock.now)}, follow=True)

    response = client.post("/accounts/2fa/recovery-codes/generate/", follow=True)

    assert "New recovery codes are made: the old ones no longer work." in text(response.content.decode())


# --- The second step of a log-in ---------------------------------------------------------------------------


def test_the_second_step_says_a_recovery_code_works_and_offers_no_key_to_an_account_without_one(
    two_factor, user, clock
):
    client = Client()
    log_in_with_password(client, user)

    page = client.get("/accounts/2fa/authenticate/").content.decode()

    help_id = re.search(r'<input [^>]*name="code"[^>]*aria-describedby="([^"]+)"', page).group(1)
    help_text = re.search(rf'<div id="{help_id}"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert text(help_text) == "The 6-digit code from your authenticator app, or one of your recovery codes."
    words = text(page)
    assert "security key" not in words.lower() and "passkey" not in words.lower()
    assert solid_primary_buttons(page) == ["Log in"]
    assert re.search(r'<button class="btn btn-outline-secondary"\s+form="logout-from-stage"', page)  # Cancel
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(two_factor, clock.now)}).status_code == 302


# --- Confirming it is you ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "heading"),
    [
        ("/accounts/export/", "Confirm it's you to export your data"),
        ("/accounts/delete/", "Confirm it's you to delete your account"),
        ("/accounts/email/", "Confirm it's you to change your email address"),
        ("/accounts/2fa/totp/activate/", "Confirm it's you to turn on two-factor authentication"),
        ("/accounts/2fa/webauthn/add/", "Confirm it's you to add a passkey"),
        ("/accounts/2fa/webauthn/add/?type=security-key", "Confirm it's you to add a security key"),
        ("/accounts/2fa/recovery-codes/generate/", "Confirm it's you to make new recovery codes"),
        ("/profile/", "Confirm it's you"),
        ("/no-such-page/", "Confirm it's you"),
    ],
)
def test_confirming_it_is_you_says_what_for(client, user, next_url, heading):
    client.force_login(user)

    page = client.get("/accounts/reauthenticate/", {"next": next_url}).content.decode()

    assert f"<h1>{heading}</h1>" in unescape(page)
    assert f"<title>{heading} · Vitae</title>" in unescape(page)
    assert "reauthenticat" not in text(page).lower()


def test_the_key_pages_confirmation_asks_for_the_key_by_its_kind(client, user):
    key = add_key(user, "YubiKey 5", passkey=False)
    client.force_login(user)

    page = client.get("/accounts/reauthenticate/", {"next": f"/accounts/2fa/webauthn/keys/{key.pk}/remove/"})

    assert "<h1>Confirm it's you to remove a security key</h1>" in unescape(page.content.decode())
    assert "Use a security key" in text(page.content.decode())  # the way to confirm, by what the account has


def test_the_password_confirmation_still_works(client, user):
    client.force_login(user)
    response = client.post("/accounts/reauthenticate/?next=/accounts/delete/", {"password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/accounts/delete/")
