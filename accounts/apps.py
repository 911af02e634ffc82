"""The accounts app.

Owns: who a person is: the User model (email as the identifier, profile fields, the CV, a language, a scheduled
deletion) and its manager; the seed's receivers (``accounts.signals``: the welcome email once per created user, and
stored files deleted after the commit that released them); allauth's account adapter and forms (one canonical form
of every address); the CV's rules and storage (``accounts.cv``, ``accounts.validators``, ``accounts.uploads``); a
person's language (``accounts.language``); deleting an account (``accounts.deletion``) and exporting its data
(``accounts.export``); the revision the database raises on every change to a person's rows
(``accounts.revisions``).

May import: ``security`` and ``mail``, Django and allauth. Never ``profiles``, which builds on it.
"""

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the receivers)
        from .revisions import drop_triggers, install_triggers

        # Dropped before every migrate (it may take the column away), installed after it (a migration that rebuilds
        # one of the watched tables drops its trigger).
        pre_migrate.connect(drop_triggers, sender=self, dispatch_uid="accounts.drop_revision_triggers")
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="accounts.install_revision_triggers")
