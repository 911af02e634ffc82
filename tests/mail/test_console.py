"""The console backend of `make run`: each email as its recipient reads it, not its MIME source."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.core.mail import EmailMultiAlternatives

from config.logging import ReadableFormatter
from mail.backends import ReadableConsoleBackend
from testkit.processes import PROJECT_DIR

pytestmark = pytest.mark.any_database


def test_an_email_on_the_console_shows_recipient_subject_and_text_with_its_links():
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        subject="Confirm your email address",
        body="Open this link: http://localhost:8000/accounts/confirm-email/abc/\n",
        from_email="webmaster@localhost",
        to=["ada@example.com"],
    )
    message.attach_alternative("<p>Open <a href='http://localhost:8000/'>this link</a></p>", "text/html")

    ReadableConsoleBackend(stream=stream).send_messages([message])

    shown = stream.getvalue()
    assert "Email to ada@example.com" in shown
    assert "Subject: Confirm your email address" in shown
    assert "http://localhost:8000/accounts/confirm-email/abc/" in shown
    assert "<p>" not in shown and "Content-Type" not in shown and "MIME-Version" not in shown


def test_a_log_line_under_make_run_is_one_readable_line_with_the_events_fields():
    record = logging.LogRecord("mail.tasks", logging.WARNING, __file__, 1, "email failed, will retry", None, None)
    record.event, record.retry_at = "email_failed", "2026-12-07T15:00:30+00:00"

    line = ReadableFormatter().format(record)

    assert line.endswith(
        "WARNING mail.tasks: email failed, will retry (event=email_failed, retry_at=2026-12-07T15:00:30+00:00)"
    )
    assert "\n" not in line


def test_the_default_email_url_shows_emails_readably_and_any_other_keeps_its_backend():
    def backend(**environment: str) -> str:
        env = {key: value for key, value in os.environ.items() if key != "EMAIL_URL"}
        env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true", **environment)
        code = "import django; django.setup()\nfrom django.conf import settings; print(settings.EMAIL_BACKEND)"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True
        )
        return result.stdout.strip()

    assert backend() == "mail.backends.ReadableConsoleBackend"
    assert backend(EMAIL_URL="smtp://127.0.0.1:2525") == "django.core.mail.backends.smtp.EmailBackend"
