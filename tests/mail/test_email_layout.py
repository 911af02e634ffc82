"""Every email the site sends, its own and allauth's, in English and German: a text part, and an HTML part in the
one email layout (site name, readable width, a button for the main link, why it was sent) that passes the Nu checker."""

from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts import emails
from accounts.models import User
from security import devices
from testkit.html_checker import nu_errors

pytestmark = [pytest.mark.django_db, pytest.mark.any_database]

LINK = "http://127.0.0.1:8000/some/link/"
# allauth's emails the site sends (not password_reset_code: resets are by link; no social accounts), with the
# context allauth gives each.
ALLAUTH_EMAILS = {
    "account/email/email_confirmation_signup": {"activate_url": LINK, "key": "key"},
    "account/email/email_confirmation": {"activate_url": LINK, "key": "key"},
    "account/email/password_reset_key": {"password_reset_url": LINK},
    "account/email/unknown_account": {"signup_url": LINK},
    "account/email/account_already_exists": {"signup_url": LINK, "password_reset_url": LINK},
    "account/email/login_code": {"code": "7Q2XKD"},
}
ALLAUTH_NOTIFICATIONS = {
    "account/email/password_changed": {},
    "account/email/password_set": {},
    "account/email/password_reset": {},
    "account/email/email_changed": {"from_email": "old@example.com", "to_email": "new@example.com"},
    "account/email/email_confirm": {},
    "account/email/email_deleted": {"deleted_email": "old@example.com"},
    "mfa/email/totp_activated": {},
    "mfa/email/totp_deactivated": {},
    "mfa/email/recovery_codes_generated": {},
    "mfa/email/webauthn_added": {},
    "mfa/email/webauthn_removed": {},
}
SITE_EMAILS = ["welcome", "new_device", "deletion_scheduled", "deletion_cancelled", "account_deleted"]
NOT_SENT = {"account/email/password_reset_code"}  # ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED is off


def send_every_email(user: User, language: str, django_capture_on_commit_callbacks) -> list[EmailMultiAlternatives]:
    """Each email through the path the site sends it by, to ``user`` (whose saved language is ``language``)."""
    request = RequestFactory().get("/", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0")
    request.user = user
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True), allauth_context.request_context(request):
        adapter = get_adapter(request)
        for prefix, context in ALLAUTH_EMAILS.items():
            adapter.send_mail(prefix, user.email, {"user": user, **context})
        for prefix, context in ALLAUTH_NOTIFICATIONS.items():
            adapter.send_notification_mail(prefix, user, context)
        emails.send_welcome_email(email=user.email, first_name="Ada", language=user.language)
        devices.send_new_device_email(request=request, user=user, signed_in_at=now)
        emails.send_deletion_scheduled_email(email=user.email, due_at=now + timedelta(days=7), language=user.language)
        emails.send_deletion_cancelled_email(email=user.email, language=user.language)
        emails.send_account_deleted_email(email=user.email, language=user.language)
    return list(mail.outbox)


@pytest.fixture
def every_email(make_user, django_capture_on_commit_callbacks):
    """``every_email(language)``: every email the site sends, to a person whose saved language that is."""

    def send(language: str) -> list[EmailMultiAlternatives]:
        mail.outbox.clear()
        user = make_user(language=language)
        mail.outbox.clear()  # the welcome email of make_user: sent again below, like the others
        return send_every_email(user, language, django_capture_on_commit_callbacks)

    return send


def html_of(message: EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_every_email_has_a_text_part_and_an_html_part_in_the_layout(every_email):
    messages = every_email("en")
    assert len(messages) == len(ALLAUTH_EMAILS) + len(ALLAUTH_NOTIFICATIONS) + len(SITE_EMAILS)
    for message in messages:
        html = html_of(message)
        assert message.body.strip() and "<" not in message.body.replace("<http", ""), message.subject
        assert "max-width:600px" in html, message.subject
        assert f">{settings.SITE_NAME}</a>" in html, message.subject  # the site's name heads every email
        assert "You receive this email because" in html, message.subject  # and the footer says why
        assert '<html lang="en">' in html


def test_every_email_with_a_link_shows_it_as_a_button_and_as_an_address(every_email):
    for message in every_email("en"):
        html = html_of(message)
        if "http" not in message.body:
            continue  # a code to type, or the goodbye: no link
        assert "display:inline-block;padding:12px 24px" in html, message.subject
        assert "If the button does not work, copy this address" in html, message.subject


def test_in_german_every_email_is_german_text_and_html(every_email):
    for message in every_email("de"):
        html = html_of(message)
        assert '<html lang="de">' in html, message.subject
        assert "Sie erhalten diese E-Mail, weil" in html, message.subject
        assert "You receive this email" not in html and "Hello" not in message.body, message.subject


def test_every_email_of_allauth_the_site_can_send_has_an_html_version():
    allauth_templates = Path(__import__("allauth").__file__).parent / "templates"
    prefixes = {
        str(subject.relative_to(allauth_templates)).removesuffix("_subject.txt")
        for folder in ("account/email", "mfa/email")
        for subject in (allauth_templates / folder).glob("*_subject.txt")
    }
    assert prefixes - NOT_SENT == set(ALLAUTH_EMAILS) | set(ALLAUTH_NOTIFICATIONS)
    for prefix in prefixes - NOT_SENT:
        try:
            get_template(f"{prefix}_message.html")
        except TemplateDoesNotExist:
            pytest.fail(f"{prefix} has no HTML version")


def test_the_html_of_every_email_in_both_languages_passes_the_nu_checker(every_email, tmp_path):
    files = []
    for language in ("en", "de"):
        for number, message in enumerate(every_email(language)):
            file = tmp_path / f"{language}-{number:02d}.html"
            file.write_text(html_of(message), encoding="utf-8")
            files.append(file)
    errors = nu_errors(files)
    assert {file.name: found for file, found in errors.items() if found} == {}
    assert translation.get_language() == "en"
