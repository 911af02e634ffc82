"""A person's revision: raised by the database on every write to a row about them, however it is written; never
lowered; its triggers back after every migrate."""

from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.management import call_command
from django.db import connection, models

from accounts.models import User
from accounts.revisions import PREFIX, WATCHED, watched_tables
from security.models import SecurityEvent

pytestmark = pytest.mark.django_db(transaction=True)  # triggers run at the write; the commit is the real one


def revision(user: User) -> int:
    return User.objects.values_list("revision", flat=True).get(pk=user.pk)


def a_row(model: type[models.Model], user: User) -> models.Model:
    if model is EmailAddress:
        return EmailAddress.objects.create(user=user, email="other@example.com")
    if model is Authenticator:
        return Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    if model is UserSession:
        return UserSession.objects.create(user=user, session_key="k" * 32, ip="192.0.2.1", user_agent="x", data={})
    return SecurityEvent.objects.create(user=user, kind="password_changed")


def raw(sql: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("model", [model for model, _ in WATCHED], ids=lambda model: model.__name__)
def test_every_write_raises_the_revision_of_the_person_it_is_about(make_user, model):
    person, someone_else = make_user(), make_user()
    table = model._meta.db_table
    writes: list[Callable[[models.Model], None]] = [
        lambda row: row.save(),
        lambda row: model.objects.filter(pk=row.pk).update(user=person),
        lambda row: raw(f"UPDATE {table} SET user_id = %s WHERE id = %s", person.pk, row.pk),  # noqa: S608
        lambda row: raw(f"DELETE FROM {table} WHERE id = %s", row.pk),  # noqa: S608
    ]
    untouched = revision(someone_else)
    seen = [revision(person)]
    row = a_row(model, person)
    seen.append(revision(person))
    for write in writes:
        write(row)
        seen.append(revision(person))

    assert seen == sorted(set(seen)), seen  # every write raised it
    assert revision(someone_else) == untouched


def test_a_row_moved_to_another_person_raises_both(make_user):
    person, other = make_user(), make_user()
    address = EmailAddress.objects.create(user=person, email="moving@example.com")
    before = revision(person), revision(other)
    EmailAddress.objects.filter(pk=address.pk).update(user=other)
    assert revision(person) > before[0] and revision(other) > before[1]


def test_a_copy_loaded_earlier_never_writes_its_revision_back(make_user):
    person = make_user()
    stale = User.objects.get(pk=person.pk)
    SecurityEvent.objects.create(user=person, kind="password_changed")
    raised = revision(person)

    stale.first_name = "Ada"
    stale.save()

    assert revision(person) == raised
    assert User.objects.get(pk=person.pk).first_name == "Ada"


def test_migrate_puts_back_a_trigger_a_table_rebuild_dropped(make_user):
    person = make_user()
    table, _ = watched_tables()[0]
    if connection.vendor == "sqlite":
        for event in ("insert", "update", "delete"):
            raw(f'DROP TRIGGER "{PREFIX}_{table}_{event}"')
    else:
        raw(f'DROP TRIGGER "{PREFIX}_{table}" ON "{table}"')
    EmailAddress.objects.create(user=person, email="unwatched@example.com")
    dropped = revision(person)
    EmailAddress.objects.create(user=person, email="still-unwatched@example.com")
    assert revision(person) == dropped  # what a rebuild of the table would leave

    call_command("migrate", verbosity=0)  # nothing to apply; the triggers come back
    EmailAddress.objects.create(user=person, email="watched@example.com")

    assert revision(person) > dropped


def test_a_database_migrated_back_before_the_revision_keeps_no_trigger_that_raises_it(make_user):
    person = make_user()
    try:
        call_command("migrate", "accounts", "0009", verbosity=0)
        with connection.cursor() as cursor:
            columns = {c.name for c in connection.introspection.get_table_description(cursor, "accounts_user")}
        assert "revision" not in columns
        # Every watched table still takes writes: no trigger raises a column that is gone.
        for model, _ in WATCHED:
            a_row(model, person).delete()
    finally:
        call_command("migrate", verbosity=0)
    before = revision(person)
    EmailAddress.objects.create(user=person, email="watched-again@example.com")
    assert revision(person) > before
