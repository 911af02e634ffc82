"""The accounts app: the user, its files and email, deletion and export."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers the deploy checks and the receivers)
