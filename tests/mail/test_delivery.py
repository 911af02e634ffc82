"""mail/delivery.py: a queued message arrives as it was rendered, byte for byte MIME through the task's row."""

import email
import email.policy
from email.message import Message
from email.mime.base import MIMEBase

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from mail.outbox import send_email
from testkit import cv_files
from testkit.smtp import Attempt, SMTPSink

# The worker manages its own database connection, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

COMPARED_HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Message-ID", "Date", "X-Campaign", "Content-Type")


@pytest.fixture
def sink(settings, smtp_sink: SMTPSink) -> SMTPSink:
    """The database backend and a real SMTP server: each message goes through JSON in a task's row and the wire."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_sink.port, False
    return smtp_sink


def queue_and_deliver(message: EmailMessage, sink: SMTPSink) -> Attempt:
    send_email("any", to=message.to[0], context={}, render=lambda *_: message)
    call_command("task_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0)
    [attempt] = sink.attempts
    return attempt


def outline(message: Message) -> list[tuple]:
    """Every MIME part: type, charset, disposition, file name and decoded content; boundaries aside."""
    return [
        (
            part.get_content_type(),
            part.get_content_charset(),
            part.get_content_disposition(),
            part.get_filename(),
            None if part.is_multipart() else comparable(part.get_payload(decode=True)),
        )
        for part in message.walk()
    ]


def comparable(content: object) -> bytes:
    assert isinstance(content, bytes)
    # On the wire lines end in CRLF, and SMTP ends the data with one.
    return content.replace(b"\r\n", b"\n").rstrip(b"\n")


def assert_arrived_as_rendered(original: EmailMessage, attempt: Attempt) -> None:
    expected = email.message_from_bytes(original.message().as_bytes(), policy=email.policy.default)
    received = attempt.message
    for name in COMPARED_HEADERS:
        assert (name, str(received[name]).split(";")[0]) == (name, str(expected[name]).split(";")[0])
    assert outline(received) == outline(expected)
    assert sorted(attempt.recipients) == sorted(original.recipients())


def test_an_html_only_message_arrives_as_html(sink):
    message = EmailMessage(
        subject="Your receipt", body="<p>Thank <b>you</b></p>", from_email="shop@example.org", to=["ada@example.com"]
    )
    message.content_subtype = "html"
    attempt = queue_and_deliver(message, sink)
    assert attempt.message.get_content_type() == "text/html"
    assert_arrived_as_rendered(message, attempt)


def test_alternatives_attachments_and_every_address_arrive_as_rendered(sink):
    message = EmailMultiAlternatives(
        subject="Grüße — your documents",
        body="Plain text, with ümlauts.",
        from_email="Vitae <no-reply@example.org>",
        to=["ada@example.com"],
        cc=["grace@example.com"],
        bcc=["audit@example.org"],
        reply_to=["help@example.org"],
        headers={"X-Campaign": "documents"},
    )
    message.attach_alternative("<p>HTML, with <em>ümlauts</em>.</p>", "text/html")
    message.attach("Lebenslauf für Ada.pdf", cv_files.make_pdf(), "application/pdf")
    message.attach("notes.txt", "Text, attached as text.\n", "text/plain")
    message.attach("latin-1.txt", "Grüße".encode("latin-1"), "text/plain")  # not UTF-8: goes as bytes
    message.mixed_subtype = "related"
    attempt = queue_and_deliver(message, sink)
    assert attempt.message.get_content_type() == "multipart/related"
    assert "audit@example.org" in attempt.recipients and attempt.message["Bcc"] is None
    assert_arrived_as_rendered(message, attempt)


def test_a_message_in_another_charset_arrives_in_it(sink):
    message = EmailMessage(subject="Grüße", body="Grüße aus Köln", from_email="a@example.org", to=["b@example.com"])
    message.encoding = "iso-8859-1"
    attempt = queue_and_deliver(message, sink)
    assert attempt.message.get_content_charset() == "iso-8859-1"
    assert_arrived_as_rendered(message, attempt)


def hand_built_attachment() -> EmailMessage:
    message = EmailMessage(subject="S", body="B", to=["ada@example.com"])
    part = MIMEBase("application", "octet-stream")
    part.set_payload(b"\x00\x01")
    message.attach(part)
    return message


class CustomMessage(EmailMessage):
    """A message class of its own, with a header its renderer adds."""

    def message(self, *args, **kwargs):
        mime = super().message(*args, **kwargs)
        mime["X-Custom"] = "made by a subclass"
        return mime


@pytest.mark.parametrize(
    "message",
    [hand_built_attachment(), CustomMessage(subject="S", body="B", to=["ada@example.com"])],
    ids=["MIMEBase attachment", "EmailMessage subclass"],
)
def test_whatever_a_message_renders_to_is_queued_and_arrives_as_rendered(sink, message):
    """The outbox keeps the MIME a message renders to, so nothing it holds is left behind on the way."""
    attempt = queue_and_deliver(message, sink)
    assert_arrived_as_rendered(message, attempt)
    if isinstance(message, CustomMessage):
        assert attempt.message["X-Custom"] == "made by a subclass"


def test_a_message_with_a_connection_of_its_own_is_refused_when_queued(sink):
    message = EmailMessage(subject="S", body="B", to=["ada@example.com"], connection=object())
    with pytest.raises(ValueError, match="connection"):
        send_email("any", to="ada@example.com", context={}, render=lambda *_: message)
    assert not DBTaskResult.objects.exists()
