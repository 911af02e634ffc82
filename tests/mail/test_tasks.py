"""Email delivery through the tasks API: a mail server that fails never fails a request or loses mail; only what can
succeed later is retried, and nothing the server accepted is sent twice."""

import logging
import socket
import threading
from collections.abc import Callable, Iterator

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
def send_to(settings) -> Callable[[SMTPSink], None]:
    """``send_to(sink)``: Django talks SMTP to that server (and logs in, if it answers AUTH)."""

    def point(sink: SMTPSink) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
        settings.EMAIL_TIMEOUT = 5
        if "AUTH" in sink.answers:
            settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "site", "wrong password"

    return point


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("task_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0)


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
    queued = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email", status="READY")
    assert queued.count() == 2  # the verification and the welcome email, neither sent by the request


# The worker manages its own database connection, so these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_a_refused_send_is_retried_with_growing_delays_then_left_failed(
    database_tasks, smtp_down, settings, caplog, clock
):
    User.objects.create_user(email="retry@example.com", password="pw")
    delays = []
    for _ in range(len(settings.EMAIL_RETRY_DELAYS) + 1):
        run_worker()  # the clock stands still: each retry is due exactly its delay after the failure
        pending = DBTaskResult.objects.filter(status="READY")
        if pending.exists():
            delays.append((pending.get().run_after - timezone.now()).total_seconds())
            make_retries_due()
    results = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email")
    assert results.count() == len(settings.EMAIL_RETRY_DELAYS) + 1  # five attempts in all
    assert set(results.values_list("status", flat=True)) == {"FAILED"}  # visible, not lost
    assert delays == sorted(delays) and delays[0] >= 30 and sum(delays) >= 60
    assert delays == settings.EMAIL_RETRY_DELAYS
    assert len(recorded_events(caplog.records, "email_failed")) == len(settings.EMAIL_RETRY_DELAYS)
    assert len(recorded_events(caplog.records, "email_gave_up")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_retried_email_is_delivered_once_the_server_is_back(database_tasks, smtp_down):
    User.objects.create_user(email="later@example.com", password="pw")
    run_worker()
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    with SMTPSink(port=smtp_down) as sink:
        make_retries_due()
        run_worker()
        sink.wait_for("later@example.com", "Welcome to")
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


def email_results() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email").order_by("enqueued_at"))


def test_with_the_immediate_backend_a_failed_send_costs_one_log_line_and_no_traceback(
    client, smtp_down, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    assert len(recorded_events(caplog.records, "email_gave_up")) == 2  # the verification and the welcome email
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert all(record.event == "email_gave_up" and not record.exc_info for record in errors)


# --- Permanent refusals (5xx): logged once, never retried -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "answers",
    [
        {"RCPT": "550 5.1.1 No such user here"},
        {"MAIL": "553 5.7.1 Sender address rejected"},
        {"DATA": "554 5.6.0 Message content rejected"},
    ],
    ids=["recipient", "sender", "data"],
)
def test_a_permanent_refusal_is_logged_once_as_rejected_and_not_retried(database_tasks, send_to, answers, caplog):
    with SMTPSink(answers=answers) as sink:
        send_to(sink)
        User.objects.create_user(email="refused@example.com", password="pw")
        run_worker()
        make_retries_due()
        run_worker()
    [result] = email_results()  # one attempt, no retry queued
    assert result.status == "FAILED"
    assert result.exception_class_path == "mail.delivery.EmailRejected"
    assert "not retried" in result.traceback  # what an operator reads in the admin
    [rejected] = recorded_events(caplog.records, "email_rejected")
    assert rejected.code == int(next(iter(answers.values()))[:3]) and rejected.attempt == 1
    assert recorded_events(caplog.records, "email_failed") == recorded_events(caplog.records, "email_gave_up") == []
    assert sink.messages == []


# --- Faults of the site's mail settings: retried like transient failures, and logged loudly -----------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("answers", "use_tls", "user", "code"),
    [
        ({"AUTH": "535 5.7.8 Authentication credentials invalid"}, False, "site", 535),
        ({"AUTH": "534 5.7.9 Authentication mechanism is too weak"}, False, "site", 534),
        ({"MAIL": "530 5.7.0 Authentication required"}, False, "", 530),  # EMAIL_URL has no credentials
        ({}, False, "site", None),  # credentials, and a server that offers no AUTH: SMTPNotSupportedError
        ({}, True, "", None),  # EMAIL_URL asks for STARTTLS, and the server offers none: SMTPNotSupportedError
    ],
    ids=["credentials invalid", "mechanism too weak", "authentication required", "no AUTH", "no STARTTLS"],
)
def test_a_fault_of_the_mail_settings_is_retried_and_logged_at_error(
    database_tasks, settings, answers, use_tls, user, code, caplog
):
    with SMTPSink(answers=answers) as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, use_tls
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = user, "a password rotated elsewhere" if user else ""
        settings.EMAIL_TIMEOUT = 5
        User.objects.create_user(email="rotation@example.com", password="pw")
        run_worker()
    failed, retry = email_results()  # the attempt, and the next one queued with it
    assert failed.status == "FAILED" and failed.exception_class_path == "mail.delivery.EmailConfigurationFault"
    assert retry.status == "READY" and retry.args_kwargs["kwargs"]["attempt"] == 2
    [fault] = recorded_events(caplog.records, "email_configuration_fault")
    assert fault.levelno == logging.ERROR and fault.code == code and fault.retry_at
    assert recorded_events(caplog.records, "email_rejected") == recorded_events(caplog.records, "email_gave_up") == []
    assert sink.messages == []


def test_with_the_immediate_backend_a_fault_of_the_mail_settings_is_logged_and_given_up_at_once(
    client, settings, caplog, django_capture_on_commit_callbacks
):
    with SMTPSink(answers={"AUTH": "535 5.7.8 Authentication credentials invalid"}) as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", sink.port, False
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "site", "wrong password"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    # The immediate backend cannot wait for a retry: the fault is said, and so is the loss of each message.
    faults = recorded_events(caplog.records, "email_configuration_fault")
    assert len(faults) == 2 and all(fault.retry_at is None for fault in faults)
    assert len(recorded_events(caplog.records, "email_gave_up")) == 2


# --- Finished email tasks keep no message --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "answers",
    [{}, {"RCPT": "550 5.1.1 No such user here"}, {"DATA": "451 4.3.0 Try again later"}],
    ids=["sent", "rejected", "to be retried"],
)
def test_a_finished_email_task_keeps_no_message(database_tasks, send_to, answers):
    with SMTPSink(answers=answers) as sink:
        send_to(sink)
        User.objects.create_user(email="forgotten@example.com", password="pw")
        run_worker()
    finished, *retries = email_results()
    assert finished.status in {"SUCCESSFUL", "FAILED"}
    assert finished.args_kwargs == {"args": [], "kwargs": {"attempt": 1}}  # what an operator needs: which attempt
    # The attempt still to come carries the message it will send (sealed), and only it.
    assert [retry.args_kwargs["kwargs"].keys() for retry in retries] == ([{"message", "attempt"}] if retries else [])


# --- Transient failures (4xx): retried, with the same Message-ID each time -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_temporary_refusal_is_retried_with_the_same_message_id_until_it_is_accepted(database_tasks, send_to, caplog):
    with SMTPSink(answers={"DATA": "451 4.3.0 Try again later"}) as sink:
        send_to(sink)
        User.objects.create_user(email="later@example.com", password="pw")
        run_worker()
        make_retries_due()
        run_worker()
        sink.answers.clear()  # the server is well again
        make_retries_due()
        run_worker()
    assert [result.status for result in email_results()] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert [attempt.accepted for attempt in sink.attempts] == [False, False, True]
    message_ids = {attempt.message["Message-ID"] for attempt in sink.attempts}
    assert len(message_ids) == 1 and None not in message_ids  # a receiver can drop a duplicate by it
    assert [record.code for record in recorded_events(caplog.records, "email_failed")] == [451, 451]
    assert len(recorded_events(caplog.records, "email_sent")) == 1


# --- After the server accepted the message: never sent again ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("at_quit", ["reset", "overlong reply"])
def test_a_failure_after_the_server_accepted_the_message_does_not_send_it_again(
    database_tasks, send_to, at_quit, caplog
):
    with SMTPSink(at_quit=at_quit) as sink:
        send_to(sink)
        User.objects.create_user(email="once@example.com", password="pw")
        run_worker()
        make_retries_due()
        run_worker()
    assert len(sink.messages) == 1
    assert [result.status for result in email_results()] == ["SUCCESSFUL"]
    assert len(recorded_events(caplog.records, "email_sent")) == 1
    assert recorded_events(caplog.records, "email_failed") == []
