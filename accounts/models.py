"""The site's user: email as the identifier, profile fields and the CV."""

from collections.abc import Collection, Iterable
from typing import Any, ClassVar, Self

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower

from . import cv
from .email_addresses import CanonicalEmailField, canonical_email
from .managers import UserManager
from .validators import validate_cv_file


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
        """Save; the CV's columns are written only when this instance changed its CV, never from a stale copy."""
        update_fields = kwargs.get("update_fields")
        if self._state.adding:
            # A new account's address must have a canonical form: refused (ValidationError), never cut to fit.
            self.email = canonical_email(self.email)
        elif update_fields is None or "email" in update_fields:
            # Forms refuse what has no canonical form; an old row that has none is kept, not broken by a save.
            self.email = type(self).objects.normalize_email(self.email)
        cv.record_cv_metadata(self)
        update_fields = cv.columns_to_save(self, update_fields, force_insert=kwargs.get("force_insert"))
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
