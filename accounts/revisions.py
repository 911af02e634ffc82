"""A person's revision: a number on their row that the database itself raises whenever a row about them changes.

A page kept for a signed-in person (web/page_cache.py) must never outlive what it shows. What it shows of their own
row is in the row, which every signed-in request loads; what it shows of their other rows (email addresses,
authenticators, sessions, security events) is not. So every insert, update and delete of such a row raises
``User.revision`` in the same transaction, by a trigger in the database: whatever writes the row (allauth, the
site, the admin, ``update()``, a script in ``dbshell``) raises it, and a kept page's key, which holds the revision,
is never found again. The number only ever grows (``save()`` never writes it back: ``RaisedByTheDatabase``), so no
key comes back either: a page rendered while a change committed is at worst newer than its key, never older.

The triggers are dropped before every ``migrate`` and installed again after it, once the column they raise exists:
Django's SQLite schema editor rebuilds a table to alter it, which drops its triggers (a later allauth migration may
do that to one of these tables), and a database taken back before the column (``migrate accounts 0009``) must not
keep triggers that raise a column it no longer has.
"""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import connection, connections, models, transaction

from security.models import SecurityEvent

from .models import User

# Each table whose rows a person's pages show, with the column naming the person.
WATCHED: tuple[tuple[type[models.Model], str], ...] = (
    (EmailAddress, "user"),
    (Authenticator, "user"),
    (UserSession, "user"),
    (SecurityEvent, "user"),
)
PREFIX = "person_revision"


def column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def watched_tables() -> list[tuple[str, str]]:
    return [(model._meta.db_table, column(model, field)) for model, field in WATCHED]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """Create the triggers (again), once every table they join exists: a post_migrate receiver."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    user_table = User._meta.db_table
    if user_table not in tables or any(table not in tables for table, _ in watched_tables()):
        return  # migrated part of the way (``migrate accounts 0009``): the next full migrate installs them
    with connection.cursor() as cursor:
        columns = {column.name for column in connection.introspection.get_table_description(cursor, user_table)}
    if column(User, "revision") not in columns:
        return
    with transaction.atomic(using=using):
        statements = sqlite_triggers() if connection.vendor == "sqlite" else postgresql_triggers()
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def drop_triggers(using: str = "default", **kwargs: Any) -> None:
    """Drop the triggers, if there are any: a pre_migrate receiver (the migrations may take the column away)."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table, _ in watched_tables():
            if table not in tables:
                continue
            if connection.vendor == "sqlite":
                for event in ("insert", "update", "delete"):
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{PREFIX}_{table}_{event}"')
            else:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{PREFIX}_{table}" ON "{table}"')


def raise_revision(person: str) -> str:
    """The statement a trigger runs: ``person`` is the trigger's own expression for the person's id."""
    quote = connection.ops.quote_name
    user, revision, key = quote(User._meta.db_table), quote(column(User, "revision")), quote(column(User, "id"))
    # Identifiers from the models and the trigger's own expressions: nothing anyone sends.
    return f"UPDATE {user} SET {revision} = {revision} + 1 WHERE {key} IN ({person})"  # noqa: S608


def sqlite_triggers() -> list[str]:
    statements = []
    for table, column in watched_tables():
        for event, person in (
            ("INSERT", f'NEW."{column}"'),
            ("UPDATE", f'OLD."{column}", NEW."{column}"'),
            ("DELETE", f'OLD."{column}"'),
        ):
            name = f"{PREFIX}_{table}_{event.lower()}"
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" FOR EACH ROW BEGIN {raise_revision(person)}; END',
            ]
    return statements


def postgresql_triggers() -> list[str]:
    # One function for every table: its argument names the column naming the person; OLD is NULL on an insert and
    # NEW on a delete, and "IN" skips a NULL.
    function = f"{PREFIX}_raise"
    person = "(to_jsonb(OLD) ->> TG_ARGV[0])::bigint, (to_jsonb(NEW) ->> TG_ARGV[0])::bigint"
    statements = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {raise_revision(person)}; RETURN NULL; END $$"
    ]
    for table, column in watched_tables():
        name = f"{PREFIX}_{table}"
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
            f'CREATE TRIGGER "{name}" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {function}('{column}')",
        ]
    return statements
