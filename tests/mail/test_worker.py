"""``manage.py task_worker`` as operators run it: a task whose worker was killed runs again; a database outage is
ridden out. Real worker processes, a real database of their own and a real SMTP server."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.logs import events
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.postgres import Cluster
from testkit.processes import manage, task_worker
from testkit.sites import (
    POSTGRES_SCHEMES,
    database_taken_away,
    migrated_database,
    no_transaction_open,
    production_env,
    task_results,
)
from testkit.smtp import SMTPSink

WORKER_OPTIONS = ("--interval", "0.2")


def create_superuser(env: dict[str, str], email: str) -> None:
    """As an operator does; the welcome email's task is queued with the new row."""
    manage(
        {**env, "DJANGO_SUPERUSER_EMAIL": email, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "createsuperuser", "--noinput"
    )


def wait_for_status(database_url: str, status: str) -> list[dict]:
    """Every task row, once all of them have ``status``."""

    def results_if_all_have_it() -> list[dict]:
        results = task_results(database_url)
        return results if results and all(result["status"] == status for result in results) else []

    return wait_until(results_if_all_have_it, f"every task {status}", describe=lambda: task_results(database_url))


def test_a_task_whose_worker_was_killed_mid_send_runs_again_on_another_worker(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
) -> None:
    # The bound is shortened through its environment variable, as an operator would set it: the second worker
    # then recovers the task with its periodic check, in seconds, not at its start and not after ten minutes.
    env = {**worker_env, "TASKS_RUNNING_TIMEOUT": "3"}
    email = unique_email("killed")
    create_superuser(env, email)
    smtp_sink.stall("RCPT")

    with task_worker("first-worker", env, tmp_path, *WORKER_OPTIONS) as first:
        smtp_sink.wait_until_stalled()  # the worker is in the middle of the SMTP conversation
        first.kill()  # SIGKILL, as the OOM killer does: nothing is cleaned up
    smtp_sink.release()
    [abandoned] = task_results(env["DATABASE_URL"])
    assert abandoned["status"] == "RUNNING" and smtp_sink.messages == []

    with task_worker("second-worker", env, tmp_path, *WORKER_OPTIONS) as second:
        smtp_sink.wait_for(email, "Welcome to", timeout=30)
        [delivered] = wait_for_status(env["DATABASE_URL"], "SUCCESSFUL")

    assert len(smtp_sink.to(email)) == 1
    assert delivered["id"] == abandoned["id"] and len(delivered["worker_ids"]) == 2  # claimed by both, in turn
    [recovered] = events(second.log_text(), "task_recovered")
    assert recovered["task_id"] == abandoned["id"] and recovered["task_path"] == "mail.tasks.deliver_email"


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

        assert no_transaction_open(database_url)
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
        env = production_env(tmp_path, database_url, EMAIL_URL=smtp_sink.url)
        before, after = unique_email("before"), unique_email("after")
        with task_worker("worker", env, tmp_path, *WORKER_OPTIONS) as worker:
            create_superuser(env, before)
            smtp_sink.wait_for(before, "Welcome to")  # the worker is connected and polling

            # PostgreSQL: the server stops (every connection cut) and starts again. SQLite has no server to restart:
            # another process holds its write lock past the busy timeout (a backup, a long migration).
            with database_taken_away(database_url, cluster=database_server):
                wait_until(lambda: events(worker.log_text(), "worker_database_unavailable"), "the worker notices")

            create_superuser(env, after)
            smtp_sink.wait_for(after, "Welcome to", timeout=60)
            assert worker.running()
        assert [result["status"] for result in task_results(database_url)] == ["SUCCESSFUL", "SUCCESSFUL"]
        # It waited rather than exit, and says when the database answered again.
        assert events(worker.log_text(), "worker_database_back")
