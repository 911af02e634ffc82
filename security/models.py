"""What the site keeps about an account's security: the things that happened to it, and the browsers it has used."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    """One thing that happened to the security of an account: what, when, from which address and browser.

    Nothing else is kept: never a password, a code, a token, the address someone typed, nor the raw User-Agent.
    Its whole life (recording, listing, export, pruning) is security/activity.py.
    """

    class Kind(models.TextChoices):
        # The stored values are the record's, kept as they were written; the labels speak the site's words ("Log in",
        # "Log out"), so a rewording changes every row's label, never a row.
        SIGNED_IN = "signed_in", _("Logged in")
        SIGNED_IN_WITH_PASSWORD = "signed_in_password", _("Logged in with your password")
        SIGNED_IN_WITH_CODE = "signed_in_code", _("Logged in with an emailed code")
        SIGNED_IN_WITH_PASSKEY = "signed_in_passkey", _("Logged in with a passkey")
        SIGNED_IN_WITH_TWO_FACTOR = "signed_in_two_factor", _("Logged in with two-factor authentication")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed log-in: wrong password")
        SIGN_IN_CODE_REJECTED = "sign_in_code_rejected", _("Failed log-in: wrong emailed code")
        LOGIN_CODE_SENT = "login_code_sent", _("Log-in code emailed")
        TWO_FACTOR_FAILED = "two_factor_failed", _("Wrong two-factor code")
        PASSWORD_KNOWN_WARNING = "password_known_warning", _("Warning emailed: someone knows your password")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        REAUTHENTICATION_FAILED = "reauthentication_failed", _("Wrong password when confirming it was you")
        SIGNED_OUT = "signed_out", _("Logged out")
        SESSIONS_ENDED = "sessions_ended", _("Logged out other sessions")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_SET = "password_set", _("Password set")
        PASSWORD_RESET = "password_reset", _("Password reset")
        EMAIL_ADDED = "email_added", _("Email address added")
        EMAIL_REMOVED = "email_removed", _("Email address removed")
        EMAIL_VERIFIED = "email_verified", _("Email address verified")
        EMAIL_MADE_PRIMARY = "email_made_primary", _("Primary email address changed")
        TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor authentication turned on")
        TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor authentication turned off")
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("New recovery codes generated")
        PASSKEY_ADDED = "passkey_added", _("Passkey added")
        PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")
        SECURITY_KEY_ADDED = "security_key_added", _("Security key added")
        SECURITY_KEY_REMOVED = "security_key_removed", _("Security key removed")
        DELETION_SCHEDULED = "deletion_scheduled", _("Account deletion scheduled")
        DELETION_CANCELLED = "deletion_cancelled", _("Account deletion cancelled")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_events")
    kind = models.CharField(max_length=32, choices=Kind)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    browser = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "security event"
        verbose_name_plural = "security events"
        indexes = [
            # A person's page and export read their newest first; pruning reads by age.
            models.Index(fields=["user", "-created_at"], name="security_event_user_time"),
            models.Index(fields=["created_at"], name="security_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_warning(self) -> bool:
        """Whether it is something that went wrong (a wrong password or code, a warning sent): marked on the page."""
        return self.kind in WARNING_KINDS


WARNING_KINDS = frozenset(
    {
        SecurityEvent.Kind.SIGN_IN_FAILED,
        SecurityEvent.Kind.SIGN_IN_CODE_REJECTED,
        SecurityEvent.Kind.TWO_FACTOR_FAILED,
        SecurityEvent.Kind.PASSWORD_KNOWN_WARNING,
        SecurityEvent.Kind.REAUTHENTICATION_FAILED,
    }
)


class KnownDevice(models.Model):
    """A browser an account has signed in with, known by a keyed digest of its device cookie (security/devices.py).

    The digest is keyed with the account, so one browser used by two accounts leaves two unrelated digests: the
    rows never tell that two accounts share a browser, and the cookie alone names no one.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices")
    digest = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "known device"
        verbose_name_plural = "known devices"
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="security_known_device_unique")]

    def __str__(self) -> str:
        return f"device first seen {self.first_seen_at:%Y-%m-%d}"
