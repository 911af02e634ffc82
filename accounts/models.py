"""The site's user (email as the identifier, profile fields, the CV, a scheduled deletion), their security activity
and the browsers they have signed in with."""

from collections.abc import Collection, Iterable
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import cv
from .email_addresses import CanonicalEmailField, canonical_email
from .managers import UserManager
from .validators import validate_cv_file


def language_choices() -> list[tuple[str, str]]:
    """The site's languages (settings.LANGUAGES), read when asked rather than at import."""
    return list(settings.LANGUAGES)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # the email is the identifier
    # Stored only in its canonical form (accounts.email_addresses), so unique means one account per mailbox.
    email = CanonicalEmailField("email address", unique=True)
    cv = models.FileField(
        "CV",
        upload_to=cv.cv_upload_to,
        blank=True,
        max_length=255,
        db_index=True,  # cleanup and the sweep look rows up by stored name
        validators=[validate_cv_file],
    )
    # The name the person's computer gave the file, sanitised; shown and used for downloads only.
    cv_original_name = models.CharField("CV file name", max_length=120, blank=True, editable=False)
    cv_size = models.PositiveBigIntegerField("CV size in bytes", null=True, blank=True, editable=False)
    cv_uploaded_at = models.DateTimeField("CV uploaded at", null=True, blank=True, editable=False)
    # Set while a deletion the person asked for waits out its grace period (accounts/services.py); only the
    # services write it, under a row lock, so a save of a copy loaded earlier never sets or clears it.
    deletion_due_at = models.DateTimeField("deletion due at", null=True, blank=True, editable=False)
    # The language the site and every email to this person speak: set from the request at sign-up, changed on the
    # profile or with the footer's switch; blank until known (an account made by the admin or a command).
    language = models.CharField(_("language"), max_length=10, choices=language_choices, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # ours finds users by email

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def validate_constraints(self, exclude=None) -> None:
        # Stored addresses are canonical, so the field's uniqueness check finds a taken address and says so next to
        # the field; the constraint on Lower(email) guards writes that bypass the model, and would only repeat it.
        super().validate_constraints(exclude={*(exclude or ()), "email"})

    # The CV name as loaded is remembered at no query cost, so that a save can tell whether *this* instance
    # changed the CV (accounts/cv.py): Django's documented way to track loaded values is from_db().
    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        cv.remember_loaded_name(instance)
        return instance

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, from_queryset: QuerySet[Self] | None = None
    ) -> None:
        fields = None if fields is None else list(fields)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "cv" in fields:
            cv.remember_loaded_name(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; the CV's columns are written only when this instance changed its CV, never from a stale copy, and
        the deletion mark never (the services own it)."""
        update_fields = kwargs.get("update_fields")
        if self._state.adding:
            # A new account's address must have a canonical form: refused (ValidationError), never cut to fit.
            self.email = canonical_email(self.email)
        elif update_fields is None or "email" in update_fields:
            # Forms refuse what has no canonical form; an old row that has none is kept, not broken by a save.
            self.email = type(self).objects.normalize_email(self.email)
        cv.record_cv_metadata(self)
        update_fields = cv.columns_to_save(self, update_fields, force_insert=kwargs.get("force_insert"))
        if not self._state.adding and not kwargs.get("force_insert"):
            names = self._updatable_fields() if update_fields is None else update_fields
            update_fields = [name for name in names if name not in SERVICE_COLUMNS]
        kwargs = {**kwargs, "update_fields": update_fields}
        if self._state.adding:
            # A new user's row and the rows its receivers write (the welcome email's task) commit together, even
            # when the caller has no transaction of its own (allauth's sign-up, createsuperuser).
            with transaction.atomic(using=kwargs.get("using"), savepoint=False):
                super().save(*args, **kwargs)
        else:
            super().save(*args, **kwargs)
        if update_fields is None or "cv" in update_fields:
            cv.remember_loaded_name(self)

    def _updatable_fields(self) -> list[str]:
        deferred = self.get_deferred_fields()
        return [
            field.name
            for field in self._meta.concrete_fields
            if not field.primary_key and not getattr(field, "generated", False) and field.attname not in deferred
        ]


# Written by accounts.services alone (``update()`` under a row lock), never by ``User.save()``.
SERVICE_COLUMNS = frozenset({"deletion_due_at"})


class SecurityEvent(models.Model):
    """One thing that happened to the security of an account: what, when, from which address and browser.

    Nothing else is kept: never a password, a code, a token, the address someone typed, nor the raw User-Agent.
    Its whole life (recording, listing, export, pruning) is accounts/activity.py.
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGNED_IN_WITH_PASSWORD = "signed_in_password", _("Signed in with your password")
        SIGNED_IN_WITH_CODE = "signed_in_code", _("Signed in with an emailed code")
        SIGNED_IN_WITH_PASSKEY = "signed_in_passkey", _("Signed in with a passkey")
        SIGNED_IN_WITH_TWO_FACTOR = "signed_in_two_factor", _("Signed in with two-factor authentication")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in: wrong password")
        SIGN_IN_CODE_REJECTED = "sign_in_code_rejected", _("Failed sign-in: wrong emailed code")
        TWO_FACTOR_FAILED = "two_factor_failed", _("Wrong two-factor code")
        REAUTHENTICATION_FAILED = "reauthentication_failed", _("Wrong password when confirming it was you")
        SIGNED_OUT = "signed_out", _("Signed out")
        SESSIONS_ENDED = "sessions_ended", _("Signed out of other sessions")
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

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_events")
    kind = models.CharField(max_length=32, choices=Kind)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    browser = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "security event"
        verbose_name_plural = "security events"
        indexes = [
            # A person's page and export read their newest first; pruning reads by age.
            models.Index(fields=["user", "-created_at"], name="accounts_event_user_time"),
            models.Index(fields=["created_at"], name="accounts_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class KnownDevice(models.Model):
    """A browser an account has signed in with, known by a keyed digest of its device cookie (accounts/devices.py).

    The digest is keyed with the account, so one browser used by two accounts leaves two unrelated digests: the
    rows never tell that two accounts share a browser, and the cookie alone names no one.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_devices")
    digest = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "known device"
        verbose_name_plural = "known devices"
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="accounts_known_device_unique")]

    def __str__(self) -> str:
        return f"device first seen {self.first_seen_at:%Y-%m-%d}"
