"""``manage.py task_worker`` as operators run it: a claim is a lease its worker renews while it lives, so a dead
worker's task runs again and a slow worker's never does; only the lease's holder writes an outcome; a task that keeps
killing its worker stops; a second stop signal puts the task back; a database outage is ridden out. Real worker
processes, a real database of their own, a real SMTP server; faults injected as they happen (SIGKILL, SIGSTOP, a
silent server)."""

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from testkit.logs import events, recorded_events
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.postgres import Cluster
from testkit.processes import Process, manage, task_worker
from testkit.sites import (
    POSTGRES_SCHEMES,
    TASK_TABLE,
    database_taken_away,
    impatient,
    migrated_database,
    no_transaction_open,
    production_env,
    query,
    task_results,
)
from testkit.smtp import SMTPSink

WORKER_OPTIONS = ("--interval", "0.2")
# Lease lengths short enough that a test waits seconds, not minutes, for one to expire; long enough (renewed every
# third) that a loaded machine never starves a living worker's heartbeat of two renewals in a row.
SHORT_LEASE = 2
LEASE = 3


def with_lease(env: dict[str, str], seconds: int) -> dict[str, str]:
    """The environment with TASKS_LEASE_SECONDS set, as an operator would set it."""
    return {**env, "TASKS_LEASE_SECONDS": str(seconds)}


def create_superuser(env: dict[str, str], email: str) -> None:
    """As an operator does; the welcome email's task is queued with the new row."""
    manage(
        {**env, "DJANGO_SUPERUSER_EMAIL": email, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "createsuperuser", "--noinput"
    )


def worker(name: str, env: dict[str, str], logs: Path, *options: str) -> Process:
    """``manage.py task_worker`` with ``--worker-id <name>``, so that a task's ``worker_ids`` name it."""
    return task_worker(name, env, logs, *WORKER_OPTIONS, "--worker-id", name, *options)


def wait_for_status(database_url: str, status: str) -> list[dict]:
    """Every task row, once all of them have ``status``."""

    def results_if_all_have_it() -> list[dict]:
        results = task_results(database_url)
        return results if results and all(result["status"] == status for result in results) else []

    return wait_until(results_if_all_have_it, f"every task {status}", describe=lambda: task_results(database_url))


def wait_for_event(process: Process, name: str) -> dict:
    """The first ``name`` event in a process's log, once it is there."""
    found = wait_until(lambda: events(process.log_text(), name), f"{process.name} logs {name}")
    return found[0]


def lease_expiry(database_url: str) -> float:
    """When the one lease in the database expires, in seconds since the epoch."""
    [(expires_at,)] = query(database_url, "SELECT expires_at FROM mail_tasklease")
    moment = expires_at if isinstance(expires_at, datetime) else datetime.fromisoformat(expires_at)  # SQLite: text
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def lapse_leases(database_url: str) -> None:
    """Every lease's time runs out, as it does a lease length after its worker died: the expiry is moved into the
    past by the database's clock, rather than waited for (the first test below waits one out)."""
    query(database_url, "UPDATE mail_tasklease SET expires_at = '2000-01-01 00:00:00' WHERE expires_at IS NOT NULL")


def failure_of(database_url: str, task_id: str) -> tuple[str, str]:
    """A task row's exception class path and traceback, as the admin shows them."""
    key = task_id if database_url.startswith(POSTGRES_SCHEMES) else task_id.replace("-", "")  # SQLite: hex digits
    [row] = query(database_url, f"SELECT exception_class_path, traceback FROM {TASK_TABLE} WHERE id = '{key}'")  # noqa: S608
    return row


def statuses(database_url: str) -> list[str]:
    return [result["status"] for result in task_results(database_url)]


# --- A lease, not a timeout -----------------------------------------------------------------------------------


def test_a_task_whose_worker_was_killed_mid_send_is_sent_once_by_another_worker_when_its_lease_expires(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    env = with_lease(worker_env, SHORT_LEASE)
    email = unique_email("killed")
    create_superuser(env, email)
    smtp_sink.stall("RCPT")

    with worker("first", env, tmp_path) as first:
        smtp_sink.wait_until_stalled()  # the worker is in the middle of the SMTP conversation
        first.kill()  # SIGKILL, as the OOM killer does: nothing is cleaned up
    smtp_sink.release()
    [abandoned] = task_results(env["DATABASE_URL"])
    assert abandoned["status"] == "RUNNING" and smtp_sink.messages == []

    with worker("second", env, tmp_path) as second:
        smtp_sink.wait_for(email, "Welcome to")
        [delivered] = wait_for_status(env["DATABASE_URL"], "SUCCESSFUL")

    assert len(smtp_sink.to(email)) == 1
    assert delivered["id"] == abandoned["id"] and delivered["worker_ids"] == ["first", "second"]
    [recovered] = events(second.log_text(), "task_recovered")
    assert recovered["task_id"] == abandoned["id"] and recovered["task_path"] == "mail.tasks.deliver_email"
    assert recovered["interruptions"] == 1


def test_a_slow_worker_keeps_its_task_however_long_the_mail_server_takes(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    # The client waits for the server's answer as long as the server takes (EMAIL_TIMEOUT): minutes, here.
    env = {**with_lease(worker_env, LEASE), "EMAIL_TIMEOUT": "600"}
    email = unique_email("slow")
    create_superuser(env, email)
    smtp_sink.stall("DATA")

    with worker("first", env, tmp_path) as first:
        smtp_sink.wait_until_stalled()  # claimed, and the message sent: the server has not answered
        with worker("second", env, tmp_path) as second:
            wait_for_event(second, "worker_started")
            expiry_then = lease_expiry(env["DATABASE_URL"])
            # Two lease lengths pass with the server silent, the second worker looking for expired leases every
            # third of one: the first renews its lease all along, so nobody takes the task from it.
            wait_until(
                lambda: lease_expiry(env["DATABASE_URL"]) >= expiry_then + 2 * LEASE,
                "the first worker renews its lease for two lease lengths",
                timeout=60,
            )
            smtp_sink.release()
            [delivered] = wait_for_status(env["DATABASE_URL"], "SUCCESSFUL")

    assert len(smtp_sink.to(email)) == 1
    assert delivered["worker_ids"] == ["first"]
    assert events(second.log_text(), "task_recovered") == []
    assert events(first.log_text(), "task_result_discarded") == []


def test_two_workers_send_each_of_many_queued_emails_exactly_once(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    env = with_lease(worker_env, LEASE)
    addresses = [unique_email("race") for _ in range(20)]
    fast = ("--interval", "0.05")
    with worker("a", env, tmp_path, *fast) as a, worker("b", env, tmp_path, *fast) as b:
        wait_for_event(a, "worker_started")
        wait_for_event(b, "worker_started")
        # Twenty welcome emails committed at once, for both workers to race over.
        manage(
            env,
            "shell",
            "-c",
            "from django.db import transaction\nfrom accounts.models import User\nwith transaction.atomic():\n"
            f"    for email in {addresses!r}:\n        User.objects.create_user(email=email)",
        )
        results = wait_for_status(env["DATABASE_URL"], "SUCCESSFUL")

    assert len(results) == len(addresses)
    assert sorted(message["To"] for message in smtp_sink.messages) == sorted(addresses)  # each once, none twice
    assert len({message["Message-ID"] for message in smtp_sink.messages}) == len(addresses)
    assert all(len(result["worker_ids"]) == 1 for result in results)
    assert events(a.log_text(), "task_result_discarded") == events(b.log_text(), "task_result_discarded") == []


# --- Only the holder writes the outcome -----------------------------------------------------------------------


def test_a_worker_that_lost_its_lease_neither_overwrites_the_outcome_nor_queues_a_retry(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    env = with_lease(worker_env, SHORT_LEASE)
    email = unique_email("paused")
    create_superuser(env, email)
    smtp_sink.stall("DATA")

    with worker("first", env, tmp_path) as first:
        smtp_sink.wait_until_stalled()
        # The first worker freezes mid-send (a paused VM, a swap storm): alive, but its heartbeat stops with it.
        os.kill(first.pid, signal.SIGSTOP)
        try:
            # Meanwhile the server answers it "try again later"; it reads that only once it runs again.
            smtp_sink.answers["DATA"] = "451 4.3.0 Try again later"
            smtp_sink.release()
            wait_until(lambda: smtp_sink.attempts, "the server answers the first worker")
            smtp_sink.answers.clear()

            # Its lease expires; a second worker takes the task over and delivers the message.
            lapse_leases(env["DATABASE_URL"])
            with worker("second", env, tmp_path) as second:
                smtp_sink.wait_for(email, "Welcome to")
                [delivered] = wait_for_status(env["DATABASE_URL"], "SUCCESSFUL")
        finally:
            os.kill(first.pid, signal.SIGCONT)
        # The first worker wakes up to its failed attempt: the outcome it would write is no longer its to write.
        discarded = wait_for_event(first, "task_result_discarded")

    assert discarded["task_id"] == delivered["id"] and discarded["worker_id"] == "first"
    assert discarded["outcome"] == "FAILED" and discarded["retry_dropped"] is True
    assert events(first.log_text(), "email_failed")  # it did fail, and asked for a retry
    [result] = task_results(env["DATABASE_URL"])  # still the second worker's outcome, and no retry queued
    assert result["status"] == "SUCCESSFUL" and result["worker_ids"] == ["first", "second"]
    assert events(second.log_text(), "email_sent")
    assert len(smtp_sink.to(email)) == 1


# --- A task that keeps killing its worker stops ----------------------------------------------------------------


def test_a_task_whose_worker_is_killed_every_time_ends_failed_at_the_interruption_limit(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    env = with_lease(worker_env, SHORT_LEASE)
    database_url = env["DATABASE_URL"]
    email = unique_email("fatal")
    create_superuser(env, email)

    limit = 3  # TASKS_MAX_INTERRUPTIONS' default
    for number in range(1, limit + 1):
        smtp_sink.stall("RCPT")
        with worker(f"w{number}", env, tmp_path) as killed:
            smtp_sink.wait_until_stalled()  # it took the task (the one before it lost its lease) and is sending
            killed.kill()
        smtp_sink.release()
        lapse_leases(database_url)
        if number > 1:
            [recovered] = events(killed.log_text(), "task_recovered")
            assert recovered["interruptions"] == number - 1

    with worker("last", env, tmp_path) as last:
        [abandoned] = wait_for_status(database_url, "FAILED")

    assert abandoned["worker_ids"] == ["w1", "w2", "w3"]  # the last worker never ran it
    exception_class_path, traceback = failure_of(database_url, abandoned["id"])
    assert exception_class_path == "mail.worker.TaskAbandoned"
    assert f"lost {limit} times" in traceback and "TASKS_MAX_INTERRUPTIONS" in traceback
    assert abandoned["kwargs"] == {"attempt": 1}  # finished: the message is not kept
    [line] = events(last.log_text(), "task_abandoned")
    assert line["level"] == "ERROR" and line["task_id"] == abandoned["id"] and line["interruptions"] == limit
    assert smtp_sink.messages == []


# --- Stopping: the first signal finishes the task, a second puts it back ------------------------------------------


def test_one_stop_signal_lets_the_email_in_flight_finish_then_the_worker_exits(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    email = unique_email("graceful")
    create_superuser(worker_env, email)
    smtp_sink.stall("DATA")
    with worker("first", worker_env, tmp_path) as first:
        smtp_sink.wait_until_stalled()
        os.kill(first.pid, signal.SIGTERM)  # as systemd stops it
        wait_for_event(first, "worker_stopping")
        assert first.running()  # still sending
        smtp_sink.release()
        wait_until(lambda: not first.running(), "the worker exits once the email went")
    [result] = task_results(worker_env["DATABASE_URL"])
    assert result["status"] == "SUCCESSFUL" and len(smtp_sink.to(email)) == 1


def test_a_second_stop_signal_mid_send_puts_the_email_back_for_the_next_worker(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    database_url = worker_env["DATABASE_URL"]
    email = unique_email("ctrl-c")
    create_superuser(worker_env, email)
    smtp_sink.stall("RCPT")  # before the message is sent: the server never holds half of it

    with worker("first", worker_env, tmp_path) as first:
        smtp_sink.wait_until_stalled()
        # One Ctrl-C on `make worker`: uv passes SIGINT on and the process group gets it too, so the worker gets two.
        # The second is sent once the first was handled: two signals of one kind may otherwise merge into one.
        os.kill(first.pid, signal.SIGINT)
        wait_for_event(first, "worker_stopping")
        os.kill(first.pid, signal.SIGINT)
        wait_until(lambda: not first.running(), "the worker exits at once")

    [interrupted] = task_results(database_url)
    assert interrupted["status"] == "READY" and interrupted["worker_ids"] == ["first"]  # never FAILED
    [line] = events(first.log_text(), "task_interrupted")
    assert line["put_back"] is True and line["task_id"] == interrupted["id"]

    smtp_sink.release()
    with worker("second", worker_env, tmp_path) as second:
        smtp_sink.wait_for(email, "Welcome to")
        [delivered] = wait_for_status(database_url, "SUCCESSFUL")
    assert delivered["worker_ids"] == ["first", "second"] and len(smtp_sink.to(email)) == 1
    assert events(second.log_text(), "task_recovered") == []  # it was back at once, not after its lease expired


# --- Configuration faults --------------------------------------------------------------------------------------


def test_a_mail_server_refusing_the_sites_credentials_is_logged_as_a_fault_and_retried(
    worker_env: dict[str, str], tmp_path: Path
) -> None:
    database_url = worker_env["DATABASE_URL"]
    email = unique_email("rotated")
    with SMTPSink(answers={"AUTH": "535 5.7.8 Authentication credentials invalid"}) as server:
        env = {**worker_env, "EMAIL_URL": f"smtp://site:old-password@127.0.0.1:{server.port}"}
        create_superuser(env, email)
        with worker("worker", env, tmp_path) as running:
            fault = wait_for_event(running, "email_configuration_fault")
            wait_until(lambda: statuses(database_url) == ["FAILED", "READY"], "the attempt failed, its retry queued")
            failed, retry = task_results(database_url)
            assert fault["level"] == "ERROR" and fault["code"] == 535 and fault["retry_at"]
            assert retry["kwargs"]["attempt"] == 2 and retry["run_after"]  # deferred, not dropped
            assert failed["kwargs"] == {"attempt": 1} and "message" in retry["kwargs"]

            # The operator puts the new credentials in place; the retry, once due, goes through.
            server.answers["AUTH"] = "235 2.7.0 Authentication successful"
            query(database_url, f"UPDATE {TASK_TABLE} SET run_after = '2000-01-01 00:00:00' WHERE status = 'READY'")  # noqa: S608
            server.wait_for(email, "Welcome to")
            wait_until(lambda: statuses(database_url) == ["FAILED", "SUCCESSFUL"], "the retry succeeded")
        assert events(running.log_text(), "email_rejected") == []


# --- Tasks claimed by the previous release's worker, which took no lease ----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("running_for", [3600, 0], ids=["longer than a lease", "just claimed"])
def test_a_task_running_without_a_lease_runs_again_once_it_has_run_for_a_lease_length(
    settings, smtp_sink: SMTPSink, caplog, running_for: int
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_sink.port, False
    User.objects.create_user(email="deploy@example.com")
    # Claimed by a worker of the previous release during a rolling deploy: RUNNING, and no lease.
    DBTaskResult.objects.update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(seconds=running_for),
        worker_ids=["previous-release"],
    )

    call_command("task_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0)

    [result] = DBTaskResult.objects.all()
    if running_for:
        assert result.status == "SUCCESSFUL" and result.worker_ids[0] == "previous-release"
        assert len(result.worker_ids) == 2 and len(smtp_sink.messages) == 1
        assert recorded_events(caplog.records, "task_recovered")
    else:  # perhaps still running on its worker: left alone
        assert result.status == "RUNNING" and result.worker_ids == ["previous-release"]
        assert smtp_sink.messages == [] and recorded_events(caplog.records, "task_recovered") == []


# --- What the worker does not hold while it waits, and what it rides out --------------------------------------


def test_a_worker_waiting_on_the_mail_server_holds_no_transaction(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    # With the database backend a sign-up only writes rows; it must never queue behind a worker that is in the
    # middle of a slow SMTP conversation (bench/README.md: sign-up with a mail server that answers after 2 s).
    database_url = worker_env["DATABASE_URL"]
    first, meanwhile = unique_email("first"), unique_email("meanwhile")
    create_superuser(worker_env, first)
    smtp_sink.stall("DATA")
    with task_worker("worker", worker_env, tmp_path, *WORKER_OPTIONS):
        smtp_sink.wait_until_stalled()  # the worker has claimed the task and sent the message; no answer yet

        # Polled, not sampled once: the lease's heartbeat is a write of its own, a moment long, every few seconds.
        # A worker that kept a transaction open across the send would keep it for the whole stall.
        wait_until(lambda: no_transaction_open(database_url), "no transaction open while the worker waits")
        create_superuser(worker_env, meanwhile)  # a writer meanwhile commits (SQLite: within its busy timeout)

        smtp_sink.release()
        smtp_sink.wait_for(first, "Welcome to")
        smtp_sink.wait_for(meanwhile, "Welcome to")


@pytest.fixture
def database_server() -> Iterator[Cluster | None]:
    """Under PostgreSQL, a server of the test's own, which it may stop: no other test loses its connection."""
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        yield None
        return
    with Cluster() as cluster:
        yield cluster


def test_the_worker_rides_out_a_database_outage(
    database_server: Cluster | None, smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    server = database_server.url("postgres") if database_server else None
    with migrated_database(tmp_path, server=server) as database_url:
        env = production_env(tmp_path, impatient(database_url), EMAIL_URL=smtp_sink.url)
        before, after = unique_email("before"), unique_email("after")
        with task_worker("worker", env, tmp_path, *WORKER_OPTIONS) as running:
            create_superuser(env, before)
            smtp_sink.wait_for(before, "Welcome to")  # the worker is connected and polling

            # PostgreSQL: the server stops (every connection cut) and starts again. SQLite has no server to restart:
            # another process holds its write lock past the busy timeout (a backup, a long migration).
            with database_taken_away(database_url, cluster=database_server):
                wait_until(lambda: events(running.log_text(), "worker_database_unavailable"), "the worker notices")

            create_superuser(env, after)
            smtp_sink.wait_for(after, "Welcome to", timeout=60)
            assert running.running()
        assert [result["status"] for result in task_results(database_url)] == ["SUCCESSFUL", "SUCCESSFUL"]
        # It waited rather than exit, and says when the database answered again.
        assert events(running.log_text(), "worker_database_back")
