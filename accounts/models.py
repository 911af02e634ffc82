"""The site's user: email as the identifier, profile fields and the CV."""

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from .email_addresses import CanonicalEmailField, canonical_email
from .managers import UserManager
from .uploads import clean_original_filename, cv_upload_to
from .validators import validate_cv_file


class User(AbstractUser):
    username = None
    # Stored only in its canonical form (accounts.email_addresses), so unique means one account per mailbox.
    email = CanonicalEmailField("email address", unique=True)
    cv = models.FileField(
        "CV",
        upload_to=cv_upload_to,
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
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

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

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if self._state.adding:
            # A new account's address must have a canonical form: refused (ValidationError), never cut to fit.
            self.email = canonical_email(self.email)
        elif update_fields is None or "email" in update_fields:
            # Forms refuse what has no canonical form; an old row that has none is kept, not broken by a save.
            self.email = type(self).objects.normalize_email(self.email)
        self._record_cv_metadata()
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        # A new user's row and the rows its receivers write (the welcome email's task) commit together, even when
        # the caller has no transaction of its own (allauth's sign-up, createsuperuser): no user without its email.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)

    def _record_cv_metadata(self) -> None:
        """Keep the display name, size and date in step with the file, however it was set."""
        if not self.cv:
            self.cv_original_name, self.cv_size, self.cv_uploaded_at = "", None, None
        elif not self.cv._committed:
            self.cv_original_name = clean_original_filename(self.cv.name)
            self.cv_size = self.cv.size
            self.cv_uploaded_at = timezone.now()
