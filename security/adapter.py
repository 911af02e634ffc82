"""allauth.mfa's and allauth.usersessions' adapters: security keys name the site, two-factor secrets are encrypted at
rest, and the sessions a person ends are recorded in their security activity."""

from collections.abc import Iterable

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from django.conf import settings

from . import activity
from .encryption import decrypt_secret, encrypt_secret
from .models import SecurityEvent


class MFAAdapter(DefaultMFAAdapter):
    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """The site a security key names when it asks to be used: SITE_NAME, not the request's host and port.

        The id (the request's host name) is allauth's: a browser accepts nothing else for the page it shows.
        """
        return {**super().get_public_key_credential_rp_entity(), "name": settings.SITE_NAME}

    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        """End the sessions, and record it in the person's activity ("sign out other sessions" sends no signal)."""
        sessions = list(sessions)
        super().end_sessions(sessions)
        for user_id in sorted({session.user_id for session in sessions}):
            activity.record(user_id=user_id, kind=SecurityEvent.Kind.SESSIONS_ENDED, request=self.request)
