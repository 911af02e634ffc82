"""mail/outbox.py: every email leaves through one entry point, queued (sealed) in the transaction that causes it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from accounts.deletion import delete_account
from accounts.models import User
from mail.messages import QueuedMessage, StoredEmailMessage
from mail.outbox import send_email
from testkit.people import PASSWORD, unique_email
from testkit.processes import PROJECT_DIR, task_worker
from testkit.sites import query, task_results
from testkit.smtp import SMTPSink

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued(subject_part: str = "") -> list[StoredEmailMessage]:
    """The emails queued so far, as the worker will read them (visible inside the test's own transaction)."""
    tasks = DBTaskResult.objects.filter(task_path="mail.tasks.deliver_email").order_by("enqueued_at")
    messages = [QueuedMessage.unsealed(task.args_kwargs["kwargs"]["message"]).as_email() for task in tasks]
    return [message for message in messages if subject_part in message.subject]


# --- The outbox: with the database backend, the email's row is part of the transaction ----------------------


def test_the_welcome_emails_task_is_written_in_the_transaction_that_creates_the_user(database_tasks):
    with transaction.atomic():
        User.objects.create_user(email="ada@example.com", password="pw")
        assert len(queued("Welcome to")) == 1  # before the commit: it commits or rolls back with the user
    [message] = queued()
    assert message.recipients() == ["ada@example.com"]
    assert DBTaskResult.objects.get().status == "READY"
    assert mail.outbox == []  # queued, not sent by this process


def test_a_queued_email_is_unreadable_in_its_row(database_tasks):
    """A reset link, a log-in code or a welcome are readable by the worker alone: never by whoever reads the table,
    a backup or the admin."""
    User.objects.create_user(email="ada@example.com", password="pw")
    [message] = queued()
    row = json.dumps(DBTaskResult.objects.get().args_kwargs)
    for readable in ("ada@example.com", "Welcome", message.extra_headers["Message-ID"], "profile"):
        assert readable not in row


def test_a_rolled_back_creation_takes_its_welcome_email_with_it(database_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create_user(email="ghost@example.com", password="pw")
        assert len(queued("Welcome to")) == 1
        raise RuntimeError("the sign-up failed after the insert")
    assert queued() == []
    assert not User.objects.filter(email="ghost@example.com").exists()


def test_a_signup_commits_one_task_per_email(client, database_tasks):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    subjects = sorted(message.subject for message in queued())
    assert subjects == ["Welcome to Vitae", "[Vitae] Confirm your email address"]


def test_deleting_an_account_queues_its_goodbye_in_the_deleting_transaction(user, database_tasks):
    user_id = user.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        delete_account(user=user)
        assert len(queued("has been deleted")) == 1
        raise RuntimeError("something after the deletion failed")
    assert queued() == [] and User.objects.filter(pk=user_id).exists()

    delete_account(user=User.objects.get(pk=user_id))
    assert len(queued("has been deleted")) == 1


# --- The immediate backend: sent right after the commit ---------------------------------------------------


def test_with_the_immediate_backend_the_email_is_sent_after_the_commit_and_not_on_rollback(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            User.objects.create_user(email="ghost@example.com", password="pw")
            raise RuntimeError("rolled back")
        User.objects.create_user(email="ada@example.com", password="pw")
        assert mail.outbox == []  # nothing before the commit
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


# --- What every message gets at rendering --------------------------------------------------------------------


def test_every_email_gets_its_message_id_at_the_sites_host_when_rendered(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://cv.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)  # allauth's verification and our welcome email
    message_ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert len(message_ids) == 2 and len(set(message_ids)) == 2
    assert all(message_id.endswith("@cv.example.org>") for message_id in message_ids)
    assert all(message.extra_headers["Date"] for message in mail.outbox)


def test_an_email_is_rendered_in_the_language_it_is_given(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email(
            "account/email/unknown_account",
            to="someone@example.com",
            context={"email": "someone@example.com", "signup_url": "https://cv.example.org/accounts/signup/"},
            language="de",
            render=get_adapter().render_mail,
        )
    [message] = mail.outbox
    assert message.subject == "[Vitae] Unbekanntes Konto"
    assert translation.get_language() == "en"  # the language of everything else is left alone


@pytest.mark.parametrize(
    "prefix", ["welcome", "new_device", "deletion_scheduled", "deletion_cancelled", "account_deleted"]
)
def test_a_site_name_with_markup_characters_reaches_subject_and_text_as_written(
    settings, prefix, django_capture_on_commit_callbacks
):
    settings.SITE_NAME = "Smith & O'Neil <CVs>"
    context = {
        "first_name": "Ada",
        "due_at": timezone.now(),
        "when": timezone.now(),
        "browser": "Firefox on Linux",
        "place": "",
        "ip": "192.0.2.1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        send_email(prefix, to="ada@example.com", context=context)
    [message] = mail.outbox
    assert "Smith & O'Neil <CVs>" in message.subject
    assert "&amp;" not in message.subject and "&#x27;" not in message.subject
    assert "&amp;" not in message.body
    html = message.alternatives[0][0]
    assert "Smith &amp; O&#x27;Neil &lt;CVs&gt;" in html  # escaped where it is HTML


# --- A process that dies: the commit carried its email, or nothing was committed -------------------------

DIE_RIGHT_AFTER_THE_COMMIT = """
import os, sys, django
django.setup()
from django.db import transaction
from accounts.models import User

with transaction.atomic():
    transaction.on_commit(lambda: os._exit(0))  # registered first: runs before anything else the commit triggers
    User.objects.create_user(email=sys.argv[1], password="a long password 1")
print("still alive")
"""

DIE_AS_THE_EMAIL_IS_QUEUED = """
import os, sys, django
django.setup()
from django.db import connection
from accounts.models import User

def die_at_the_tasks_row(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith("INSERT") and "dbtaskresult" in sql.lower():
        os._exit(0)
    return execute(sql, params, many, context)

with connection.execute_wrapper(die_at_the_tasks_row):
    User.objects.create_user(email=sys.argv[1], password="a long password 1")  # no transaction of its own
print("still alive")
"""


def run_and_die(env: dict[str, str], script: str, email: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", script, email], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "still alive" not in result.stdout, result.stderr


def test_a_process_killed_right_after_its_commit_still_has_the_welcome_email_delivered(
    worker_env: dict[str, str], smtp_sink: SMTPSink, tmp_path: Path
):
    email = unique_email("crash")
    run_and_die(worker_env, DIE_RIGHT_AFTER_THE_COMMIT, email)
    with task_worker("worker", worker_env, tmp_path, "--interval", "0.2"):
        message = smtp_sink.wait_for(email, "Welcome to")
    assert message["Message-ID"]
    assert [result["status"] for result in task_results(worker_env["DATABASE_URL"])] == ["SUCCESSFUL"]


def test_a_process_killed_before_the_welcome_email_was_queued_leaves_no_user_behind(worker_env: dict[str, str]):
    email = unique_email("half")
    run_and_die(worker_env, DIE_AS_THE_EMAIL_IS_QUEUED, email)
    # The user's row and its email's row commit together: without the email there is no user either.
    users = query(worker_env["DATABASE_URL"], f"SELECT email FROM accounts_user WHERE email = '{email}'")  # noqa: S608
    assert users == []
    assert task_results(worker_env["DATABASE_URL"]) == []
