"""A throwaway state for one bench run: temp database, media, static and temp folders, and a seeded user."""

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMAIL = "bench@example.com"
PASSWORD = "a long bench password 42"


def registered_email(number: int) -> str:
    """The address of the ``number``-th account seeded for the sign-up measurement to try to register again."""
    return f"registered{number}@example.com"


SECRET_KEY = "bench-only-secret-key-" + "x" * 40


@dataclass
class Workspace:
    root: Path

    @classmethod
    def create(cls) -> "Workspace":
        workspace = cls(Path(tempfile.mkdtemp(prefix="bench-")))
        for folder in (workspace.media, workspace.static, workspace.tmp, workspace.logs):
            folder.mkdir()
        return workspace

    @property
    def database(self) -> Path:
        return self.root / "db.sqlite3"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def tmp(self) -> Path:
        """TMPDIR of every server: where Django's upload handler spools files, so the bench can watch it."""
        return self.root / "tmp"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def site_environment(self, database: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment ``make serve`` would get in production, pointed at this workspace."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
        environment.pop("DATABASE_URL", None)
        environment.pop("EMAIL_URL", None)
        environment.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="false",
            DJANGO_HTTPS="false",
            DJANGO_SECRET_KEY=SECRET_KEY,
            DATABASE_URL=f"sqlite:///{database or self.database}",
            DJANGO_MEDIA_ROOT=str(self.media),
            DJANGO_STATIC_ROOT=str(self.static),
            TMPDIR=str(self.tmp),
        )
        environment.update(extra)
        return environment

    def copy_database(self, name: str) -> Path:
        """A consistent copy of the seeded database (SQLite's backup API copes with WAL)."""
        target = self.root / name
        with sqlite3.connect(self.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target

    def folder_bytes(self, *folders: Path) -> int:
        total = 0
        for folder in folders:
            for directory, _, files in os.walk(folder):
                for file in files:
                    try:
                        total += os.stat(os.path.join(directory, file)).st_size
                    except FileNotFoundError:
                        pass  # deleted between listing and stat: it no longer takes space
        return total

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_site(workspace: Workspace, *, registered: int = 0) -> None:
    """In this process: migrate, collect static files, and create a verified user with a CV, and ``registered``
    more verified accounts (``registered_email(0)`` …) whose addresses the sign-up measurement tries again.

    Django is set up here with the site's own settings so that the query counts can be taken in-process
    against the same database afterwards.
    """
    # The seeded user's welcome email goes nowhere; the servers keep the site's own email settings.
    os.environ.update(workspace.site_environment(EMAIL_URL="dummymail://", DJANGO_LOG_LEVEL="WARNING"))
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from accounts.models import User
    from testkit.cv_files import make_pdf

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    user = User.objects.create_user(email=EMAIL, password=PASSWORD, first_name="Bench", last_name="Mark")
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    user.cv = ContentFile(make_pdf(), name="Bench CV.pdf")
    user.save()
    # Registered long before anyone probes them, as an attacker finds them: no verification mail's cooldown is
    # running for these addresses. One hash for all of them, or seeding would take an Argon2 hash each.
    password = user.password
    seeded = User.objects.bulk_create(
        User(email=registered_email(number), password=password) for number in range(registered)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=account, email=account.email, verified=True, primary=True) for account in seeded
    )
    from django.db import connection

    connection.close()
