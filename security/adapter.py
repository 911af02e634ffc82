"""allauth.mfa's and allauth.usersessions' adapters: security keys name the site and are named after the device that
adds them, the authenticator app's QR code is drawn on white, two-factor secrets are encrypted at rest, and the
sessions a person ends are recorded in their security activity."""

from collections.abc import Iterable
from io import BytesIO

import qrcode  # type: ignore[import-untyped]
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from qrcode.image.svg import SvgPathFillImage  # type: ignore[import-untyped]

from . import activity, browsers
from .encryption import decrypt_secret, encrypt_secret
from .models import SecurityEvent


class MFAAdapter(DefaultMFAAdapter):
    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """The site a security key names when it asks to be used: SITE_NAME, not the request's host and port.

        The id (the request's host name) is allauth's: a browser accepts nothing else for the page it shows.
        """
        return {**super().get_public_key_credential_rp_entity(), "name": settings.SITE_NAME}

    def generate_authenticator_name(self, user: AbstractBaseUser, type: Authenticator.Type) -> str:
        """A new key is offered the name of the device it is added from ("Chrome on Android"), which tells a person's
        keys apart at a glance, where allauth's "Master key" and "Backup key" do not."""
        request = context.request
        if type != Authenticator.Type.WEBAUTHN or request is None:
            return super().generate_authenticator_name(user, type)
        return browsers.device_name(request)

    def build_totp_svg(self, url: str) -> str:
        """The QR code on a white square with its quiet zone (qrcode's four modules), whatever the page around it.

        allauth's is drawn on nothing: black modules on a dark page do not scan.
        """
        image = qrcode.make(url, image_factory=SvgPathFillImage)
        buffer = BytesIO()
        image.save(buffer)
        return buffer.getvalue().decode("utf-8")

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
