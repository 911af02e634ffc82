"""A database made before the apps were cut by lifecycle migrates forward with nothing lost.

The database is built by the migrations as they stood (accounts up to 0005, no security or mail app), filled as the
site then filled it, and migrated to today: the security activity and known browsers keep their rows under the
security app, their permissions follow them, queued emails are still delivered as they were written, and a scheduled
deletion still falls due.
"""

import datetime
from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.revisions import drop_triggers, install_triggers
from mail.messages import QueuedMessage

# Undoing these apps' migrations takes accounts back to 0005 too (0006 and 0007 depend on security's first).
APPS_THAT_DID_NOT_EXIST = [("security", None), ("mail", None)]
NO_RUN_AFTER = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)


def old_message(subject: str, to: str) -> dict:
    """An email as the previous release queued it: its own JSON of an ``EmailMultiAlternatives``."""
    return {
        "subject": subject,
        "body": f"Hello {to}, here is your link: https://cv.example.org/accounts/password/reset/key/1-abc/",
        "from_email": "webmaster@example.org",
        "to": [to],
        "cc": [],
        "bcc": [],
        "reply_to": [],
        "headers": {
            "Message-ID": f"<{subject.replace(' ', '')}@cv.example.org>",
            "Date": "Mon, 07 Dec 2026 10:00:00 -0000",
        },
        "encoding": None,
        "content_subtype": "plain",
        "mixed_subtype": "mixed",
        "alternative_subtype": "alternative",
        "alternatives": [{"mimetype": "text/html", "content": "<p>Here is your link.</p>"}],
        "attachments": [],
    }


@pytest.fixture
def database_of_the_previous_release(transactional_db) -> Iterator[Apps]:
    """The test database taken back to the migrations of the release before the cut, and their models; migrated
    forward again afterwards, whatever happened, so that the next test finds today's schema."""
    executor = MigrationExecutor(connection)
    drop_triggers()  # as ``migrate`` does before it migrates (accounts.revisions)
    executor.migrate(APPS_THAT_DID_NOT_EXIST)
    try:
        executor.loader.build_graph()
        yield executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        install_triggers()  # as ``migrate`` does after it


@pytest.fixture
def migrated(database_of_the_previous_release: Apps) -> tuple[Apps, Apps]:
    """(before, after): the models as they were, their tables filled as that release filled them; then the models
    as they are, after ``migrate`` has brought the database to today."""
    before = database_of_the_previous_release
    user = before.get_model("accounts", "User").objects.create(email="ada@example.com", language="de")
    events = before.get_model("accounts", "SecurityEvent").objects
    events.create(user=user, kind="signed_in_password", ip="203.0.113.7", browser="Firefox on Linux")
    events.create(user=user, kind="password_changed", ip=None, browser="")
    before.get_model("accounts", "KnownDevice").objects.create(user=user, digest="d" * 64)
    content_types = before.get_model("contenttypes", "ContentType").objects
    event_type, _ = content_types.get_or_create(app_label="accounts", model="securityevent")
    before.get_model("auth", "Permission").objects.get_or_create(
        content_type=event_type, codename="view_securityevent", defaults={"name": "Can view security event"}
    )
    tasks = before.get_model("django_tasks_database", "DBTaskResult").objects

    def task(path: str, status: str, **kwargs) -> None:
        tasks.create(
            task_path=path,
            status=status,
            args_kwargs={"args": [], "kwargs": kwargs},
            backend_name="default",
            run_after=NO_RUN_AFTER,
            exception_class_path="",
            traceback="",
        )

    task("accounts.tasks.deliver_email", "READY", message=old_message("Password reset", "ada@example.com"), attempt=2)
    task("accounts.tasks.deliver_email", "SUCCESSFUL", message=old_message("Welcome", "ada@example.com"), attempt=1)
    task("accounts.tasks.delete_account_when_due", "READY", user_id=user.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return before, executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def test_the_security_activity_and_known_browsers_keep_their_rows_in_the_security_app(migrated):
    _, after = migrated
    events = after.get_model("security", "SecurityEvent").objects.order_by("pk")
    assert [(e.user.email, e.kind, e.ip, e.browser) for e in events] == [
        ("ada@example.com", "signed_in_password", "203.0.113.7", "Firefox on Linux"),
        ("ada@example.com", "password_changed", None, ""),
    ]
    assert after.get_model("security", "KnownDevice").objects.get().digest == "d" * 64
    tables = set(connection.introspection.table_names())
    assert {"security_securityevent", "security_knowndevice"} <= tables
    assert not {"accounts_securityevent", "accounts_knowndevice"} & tables


def test_permissions_follow_the_moved_models(migrated):
    _, after = migrated
    permission = after.get_model("auth", "Permission").objects.get(codename="view_securityevent")
    assert (permission.content_type.app_label, permission.content_type.model) == ("security", "securityevent")


def test_a_queued_email_is_still_delivered_as_written_and_now_sealed(migrated):
    _, after = migrated
    tasks = after.get_model("django_tasks_database", "DBTaskResult").objects
    [queued] = tasks.filter(task_path="mail.tasks.deliver_email", status="READY")
    assert queued.args_kwargs["kwargs"]["attempt"] == 2
    assert "reset/key" not in str(queued.args_kwargs)  # unreadable in its row
    message = QueuedMessage.unsealed(queued.args_kwargs["kwargs"]["message"]).as_email()
    assert (message.subject, message.recipients()) == ("Password reset", ["ada@example.com"])
    assert message.extra_headers["Message-ID"] == "<Passwordreset@cv.example.org>"  # the same message, retried
    assert "https://cv.example.org/accounts/password/reset/key/1-abc/" in message.body
    assert message.alternatives[0][0] == "<p>Here is your link.</p>"


def test_a_finished_email_keeps_no_message(migrated):
    _, after = migrated
    [finished] = after.get_model("django_tasks_database", "DBTaskResult").objects.filter(status="SUCCESSFUL")
    assert finished.task_path == "mail.tasks.deliver_email"
    assert finished.args_kwargs == {"args": [], "kwargs": {"attempt": 1}}


def test_a_scheduled_deletion_still_falls_due(migrated):
    _, after = migrated
    [deletion] = after.get_model("django_tasks_database", "DBTaskResult").objects.filter(
        task_path="accounts.deletion.delete_account_when_due"
    )
    assert deletion.status == "READY"
    assert deletion.args_kwargs["kwargs"]["user_id"] == after.get_model("accounts", "User").objects.get().pk
