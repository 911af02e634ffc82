"""delete_due_accounts, the daily sweep: every account past its deletion date is deleted, whatever became of its
scheduled task; none before its date, none kept; twice, or beside the task, still one deletion and one email."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.deletion import cancel_account_deletion, delete_account_when_due, schedule_account_deletion
from accounts.models import User
from testkit.logs import recorded_events

GOODBYE = "Your Vitae account has been deleted"


@pytest.fixture(autouse=True)
def _database_task_backend(deferring_tasks) -> None:
    """The backend a grace period needs (the immediate one deletes at once): deletions are tasks in the database."""


def sweep() -> str:
    out = StringIO()
    call_command("delete_due_accounts", stdout=out)
    return out.getvalue()


def scheduled(user: User, *, due_in: timedelta) -> User:
    """``user`` with a deletion scheduled as "Delete my account" does, its date moved to ``due_in`` from now."""
    schedule_account_deletion(user=user)
    User.objects.filter(pk=user.pk).update(deletion_due_at=timezone.now() + due_in)
    return user


def lose_the_task(user: User) -> None:
    """What a restore, an operator emptying the queue or an early run that found it not due leaves behind."""
    DBTaskResult.objects.filter(
        task_path=delete_account_when_due.module_path, args_kwargs__kwargs__user_id=user.pk
    ).delete()


def goodbye_emails(queued_emails) -> list[list[str]]:
    return [message.to for message in queued_emails() if message.subject == GOODBYE]


def test_an_account_past_its_date_whose_task_was_lost_is_deleted(
    user_with_cv, queued_emails, caplog, django_capture_on_commit_callbacks
):
    due = scheduled(user_with_cv, due_in=-timedelta(minutes=1))
    lose_the_task(due)

    with django_capture_on_commit_callbacks(execute=True):
        output = sweep()

    assert "Deleted 1 account(s) past their deletion date." in output
    assert not User.objects.filter(pk=due.pk).exists()
    assert goodbye_emails(queued_emails) == [[due.email]]
    [cleanup] = DBTaskResult.objects.filter(task_path="accounts.tasks.delete_stored_files")
    assert cleanup.args_kwargs["kwargs"]["names"] == [due.cv.name]  # the file goes after the commit
    assert [record.user_id for record in recorded_events(caplog.records, "account_deleted")] == [due.pk]
    [summary] = recorded_events(caplog.records, "due_accounts_swept")
    assert (summary.due, summary.deleted, summary.failed) == (1, 1, 0)


def test_an_account_whose_task_ran_early_is_deleted_once_its_date_has_passed(user, queued_emails, caplog, clock):
    """A worker whose clock ran ahead, or a task put back to run at once: it found the account not due and ended."""
    schedule_account_deletion(user=user)
    delete_account_when_due.call(user_id=user.pk)
    assert [record.reason for record in recorded_events(caplog.records, "account_deletion_skipped")] == ["not_due"]
    clock.advance(timedelta(days=7, seconds=1).total_seconds())

    assert "Deleted 1 account(s)" in sweep()
    assert not User.objects.filter(pk=user.pk).exists()
    assert goodbye_emails(queued_emails) == [[user.email]]


def test_accounts_not_yet_due_kept_or_never_scheduled_stay(make_user, queued_emails):
    not_yet_due = scheduled(make_user(), due_in=timedelta(minutes=1))
    kept = scheduled(make_user(), due_in=-timedelta(minutes=1))
    cancel_account_deletion(user=User.objects.get(pk=kept.pk))
    never_scheduled = make_user()
    for user in (not_yet_due, kept):
        lose_the_task(user)

    output = sweep()

    assert "Deleted 0 account(s)" in output
    assert set(User.objects.values_list("pk", flat=True)) == {not_yet_due.pk, kept.pk, never_scheduled.pk}
    assert User.objects.get(pk=not_yet_due.pk).deletion_due_at is not None
    assert goodbye_emails(queued_emails) == []


def test_every_due_account_goes_in_one_run(make_user, queued_emails):
    due = [scheduled(make_user(), due_in=-timedelta(days=days)) for days in (3, 1)]
    lose_the_task(due[0])  # one lost, one merely late (its worker behind)

    assert "Deleted 2 account(s)" in sweep()
    assert not User.objects.filter(pk__in=[user.pk for user in due]).exists()
    assert sorted(goodbye_emails(queued_emails)) == sorted([user.email] for user in due)
    assert not DBTaskResult.objects.filter(task_path=delete_account_when_due.module_path, status="READY").exists()


def test_a_second_run_deletes_nothing_more(user, queued_emails):
    lose_the_task(scheduled(user, due_in=-timedelta(minutes=1)))
    sweep()

    assert "Deleted 0 account(s)" in sweep()
    assert goodbye_emails(queued_emails) == [[user.email]]


def test_the_task_after_the_sweep_finds_the_account_gone(user, queued_emails, caplog):
    scheduled(user, due_in=-timedelta(minutes=1))  # the task's row is still there: only late
    sweep()

    delete_account_when_due.call(user_id=user.pk)

    assert goodbye_emails(queued_emails) == [[user.email]]
    assert [record.reason for record in recorded_events(caplog.records, "account_deletion_skipped")] == ["gone"]


def test_the_task_deleting_the_account_while_the_sweep_runs_leaves_it_nothing_to_do(user, queued_emails):
    """The sweep listed the account, then the task deleted it before the sweep took the row's lock."""
    scheduled(user, due_in=-timedelta(minutes=1))
    interleaved = []

    def task_runs_first(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not interleaved and '"deletion_due_at" <=' in sql:  # the sweep has just listed the due accounts
            interleaved.append(sql)
            delete_account_when_due.call(user_id=user.pk)
        return result

    with connection.execute_wrapper(task_runs_first):
        output = sweep()

    assert interleaved
    assert "Deleted 0 account(s)" in output
    assert goodbye_emails(queued_emails) == [[user.email]]


def test_an_account_that_cannot_be_deleted_does_not_hold_back_the_others(make_user, queued_emails, caplog):
    stuck, other = (scheduled(make_user(), due_in=-timedelta(days=days)) for days in (2, 1))

    def refuse_to_delete_the_first(execute, sql, params, many, context):
        if sql.startswith('DELETE FROM "accounts_user"') and stuck.pk in (params or ()):
            raise DatabaseError("injected: the row cannot be deleted")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_to_delete_the_first), pytest.raises(CommandError) as refused:
        sweep()

    assert f"1 account(s) could not be deleted (see the log, event=account_deletion_failed): {stuck.pk}" in str(
        refused.value
    )
    assert User.objects.filter(pk=stuck.pk).exists() and not User.objects.filter(pk=other.pk).exists()
    assert goodbye_emails(queued_emails) == [[other.email]]  # the stuck account's email rolled back with it
    [failure] = recorded_events(caplog.records, "account_deletion_failed")
    assert failure.user_id == stuck.pk and "injected" in failure.error
