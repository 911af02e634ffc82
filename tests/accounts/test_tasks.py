"""Email delivery through the tasks API: a mail server that fails never fails a request or loses mail."""

import socket
import threading
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from testkit.logs import recorded_events
from testkit.network import free_port
from testkit.smtp import SMTPSink

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": "a long password 1", "password2": "a long password 1"}


@pytest.fixture
def smtp_down(settings) -> int:
    """Point Django at a loopback port where nothing listens: every connection is refused."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    return port


@pytest.fixture
def smtp_black_hole(settings) -> Iterator[int]:
    """A server that accepts connections and never says a word: the client must time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", listener.getsockname()[1], False
    settings.EMAIL_TIMEOUT = 1
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0)


def make_retries_due() -> None:
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_signup_succeeds_when_the_mail_server_refuses_connections(
    client, smtp_down, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email="new@example.com").exists()
    assert recorded_events(caplog.records, "email_gave_up")  # the immediate backend cannot retry later


def test_signup_succeeds_when_the_mail_server_times_out(
    client, smtp_black_hole, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    gave_up = recorded_events(caplog.records, "email_gave_up")
    assert gave_up and all("timed out" in record.error for record in gave_up)


def test_with_the_database_backend_signup_queues_mail_instead_of_sending_it(
    client, database_tasks, smtp_black_hole, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    queued = DBTaskResult.objects.filter(task_path="accounts.tasks.deliver_email", status="READY")
    assert queued.count() == 2  # the verification and the welcome email, neither sent by the request


# The worker manages its own database connection, so these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_a_refused_send_is_retried_with_growing_delays_then_left_failed(database_tasks, smtp_down, settings, caplog):
    User.objects.create_user(email="retry@example.com", password="pw")
    delays = []
    for _ in range(len(settings.EMAIL_RETRY_DELAYS) + 1):
        before = timezone.now()
        run_worker()
        pending = DBTaskResult.objects.filter(status="READY")
        if pending.exists():
            delays.append((pending.get().run_after - before).total_seconds())
            make_retries_due()
    results = DBTaskResult.objects.filter(task_path="accounts.tasks.deliver_email")
    assert results.count() == len(settings.EMAIL_RETRY_DELAYS) + 1  # five attempts in all
    assert set(results.values_list("status", flat=True)) == {"FAILED"}  # visible, not lost
    assert delays == sorted(delays) and delays[0] >= 30 and sum(delays) >= 60
    assert [round(d) for d in delays] == pytest.approx(settings.EMAIL_RETRY_DELAYS, abs=2)
    assert len(recorded_events(caplog.records, "email_failed")) == len(settings.EMAIL_RETRY_DELAYS)
    assert len(recorded_events(caplog.records, "email_gave_up")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_retried_email_is_delivered_once_the_server_is_back(database_tasks, smtp_down):
    User.objects.create_user(email="later@example.com", password="pw")
    run_worker()
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    sink = SMTPSink(port=smtp_down).start()
    try:
        make_retries_due()
        run_worker()
        sink.wait_for("later@example.com", "Welcome to", timeout=5)
    finally:
        sink.stop()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


def test_email_goes_over_real_smtp_with_text_and_html(settings, smtp_sink, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_sink.port, False
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_user(email="wire@example.com", password="pw")
    message = smtp_sink.wait_for("wire@example.com", "Welcome to")
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    assert mail.outbox == []  # it went over the wire, not to the test outbox
