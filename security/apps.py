"""The security app.

Owns: a person's security activity (``security.activity``, recorded by the receivers in ``security.signals`` on
allauth's and Django's authentication signals, shown at ``/accounts/activity/``, pruned by
``manage.py prune_security_events``); the browsers an account has used and the new-device email (``security.devices``);
browser and place names (``security.browsers``, ``security.clients``); allauth.mfa's and allauth.usersessions'
adapters (``security.adapter``) and two-factor forms (``security.forms``); the encryption of two-factor secrets at rest
(``security.encryption``, ``manage.py reencrypt_mfa_secrets``).

May import: ``mail``, Django and allauth. The user model only through ``settings.AUTH_USER_MODEL`` and
``get_user_model()``: accounts builds on security, never the other way round.
"""

from django.apps import AppConfig


class SecurityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "security"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the receivers)
