"""The accounts app: the user, its files and email, deletion and export."""

from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_tables(using: str, verbosity: int = 1, **kwargs: Any) -> None:
    """Rate limits need their cache before the first request: ``migrate`` creates a database cache's table."""
    call_command("createcachetable", database=using, verbosity=verbosity)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers the deploy checks and the receivers)

        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="accounts.create_cache_tables")
