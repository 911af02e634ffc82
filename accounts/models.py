"""The site's user: email as the identifier, profile fields, the CV, a scheduled deletion, a language, a time zone."""

from collections.abc import Iterable
from typing import Any, ClassVar, Self

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .cv import CVDateField, CVFileField, CVNameField, CVSizeField, cv_upload_to, remember_loaded_name
from .email_addresses import CanonicalEmailField, canonical_email
from .managers import UserManager
from .time_zones import validate_time_zone
from .validators import validate_cv_file


class KeptOutOfSaves(models.Field):
    """A column that ``save()`` never writes, except in the row's first insert: a copy of the row loaded earlier
    must never write back what it read."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return super().pre_save(model_instance, add) if add else F(self.attname)


class WrittenByServicesOnly(KeptOutOfSaves, models.DateTimeField):
    """accounts/deletion.py sets and clears it with ``update()`` under the row's lock."""


class RaisedByTheDatabase(KeptOutOfSaves, models.PositiveBigIntegerField):
    """Raised by the database's own triggers (accounts/revisions.py), never by the site's code."""


def language_choices() -> list[tuple[str, str]]:
    """The site's languages (settings.LANGUAGES), read when asked rather than at import."""
    return list(settings.LANGUAGES)


class User(AbstractUser):
    username = None  # type: ignore[assignment]  # the email is the identifier
    # Stored only in its canonical form (accounts.email_addresses), so unique means one account per mailbox.
    email = CanonicalEmailField("email address", unique=True)
    # The CV's columns are saved only by an instance that changed its CV (accounts/cv.py): a stale copy never writes
    # back a file that cleanup has deleted.
    cv = CVFileField(
        "CV",
        upload_to=cv_upload_to,
        blank=True,
        max_length=255,
        db_index=True,  # cleanup and the sweep look rows up by stored name
        validators=[validate_cv_file],
    )
    # The name the person's computer gave the file, sanitised; shown and used for downloads only.
    cv_original_name = CVNameField("CV file name", max_length=120, blank=True, editable=False)
    cv_size = CVSizeField("CV size in bytes", null=True, blank=True, editable=False)
    cv_uploaded_at = CVDateField("CV uploaded at", null=True, blank=True, editable=False)
    # Set while a deletion the person asked for waits out its grace period (accounts/deletion.py).
    deletion_due_at = WrittenByServicesOnly("deletion due at", null=True, blank=True, editable=False)
    # The language the site and every email to this person speak: set from the request at sign-up, changed on the
    # profile or with the footer's switch; blank until known (an account made by the admin or a command).
    language = models.CharField(_("language"), max_length=10, choices=language_choices, blank=True)
    # The zone every time is shown in, on the site and in emails (accounts/time_zones.py): an IANA name, guessed from
    # the browser at sign-up, chosen on the profile. No choices here: the list is the machine's tz database's, which
    # changes with its updates, and a migration per update would say nothing.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # Raised by the database whenever a row of the person's other pages changes (their email addresses,
    # authenticators, sessions, security events: accounts/revisions.py), so that the row, which every signed-in
    # request loads anyway, tells whether a page kept for the person is still theirs (web/page_cache.py).
    revision = RaisedByTheDatabase("revision", default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager["User"]] = UserManager()  # type: ignore[assignment]  # ours finds users by email

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

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, from_queryset: QuerySet[Self] | None = None
    ) -> None:
        fields = None if fields is None else list(fields)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "cv" in fields:
            # Django sends no signal for a refresh: the CV name this instance now shares with its row is noted here
            # (accounts/signals.py notes it on every load and save).
            remember_loaded_name(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, the address in its canonical form. A new user's row and the rows its receivers write (the welcome
        email's task) commit together, even when the caller has no transaction of its own (allauth's sign-up,
        createsuperuser)."""
        update_fields = kwargs.get("update_fields")
        if self._state.adding:
            # A new account's address must have a canonical form: refused (ValidationError), never cut to fit.
            self.email = canonical_email(self.email)
        elif update_fields is None or "email" in update_fields:
            # Forms refuse what has no canonical form; an old row that has none is kept, not broken by a save.
            self.email = type(self).objects.normalize_email(self.email)
        if self._state.adding:
            with transaction.atomic(using=kwargs.get("using"), savepoint=False):
                super().save(*args, **kwargs)
        else:
            super().save(*args, **kwargs)


class ScheduledDeletionManager(models.Manager["ScheduledDeletion"]):
    def get_queryset(self) -> QuerySet["ScheduledDeletion"]:
        return super().get_queryset().filter(deletion_due_at__isnull=False)


class ScheduledDeletion(User):
    """The accounts whose deletion waits out its grace period, as the admin lists them (the same rows as User)."""

    objects: ClassVar[ScheduledDeletionManager] = ScheduledDeletionManager()  # type: ignore[assignment]

    class Meta:
        proxy = True
        verbose_name = "scheduled deletion"
        verbose_name_plural = "scheduled deletions"
        ordering = ["deletion_due_at"]


class AccountEmailAddress(EmailAddress):
    """allauth's email addresses, listed in the admin's Accounts section beside the users they belong to (the same
    rows: a proxy, so the admin has one Accounts section, not allauth's and ours)."""

    class Meta:
        proxy = True
        verbose_name = "email address"
        verbose_name_plural = "email addresses"
