"""The user manager: users are created and found by the canonical form of their email address."""

from typing import Any, TypeVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db.models import QuerySet

from .email_addresses import canonical_email, canonical_email_or_input

# The model this manager manages (accounts.models.User, which names it): a type variable, so that this module,
# which the model is built on, never imports the model back.
UserT = TypeVar("UserT", bound=AbstractUser)


class UserManager(BaseUserManager[UserT]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The canonical form (accounts.email_addresses); input that has none comes back stripped."""
        return canonical_email_or_input(email or "")

    def owners_of_address(self, email: str) -> QuerySet[UserT]:
        """The accounts an address belongs to: those that verified it, else the one that signed up with it.

        An address someone merely added to their account, unverified, belongs to nobody: it neither blocks its
        owner's sign-up nor receives a reset link.
        """
        email = self.normalize_email(email)
        verified = self.filter(emailaddress__email=email, emailaddress__verified=True)
        if verified.exists():
            return verified
        return self.filter(email=email)

    def get_by_natural_key(self, email: str | None) -> UserT:
        # Stored addresses are canonical, so an exact match finds every spelling and can use the index.
        return self.get(email=self.normalize_email(email))

    def _create_user(self, email: str, password: str | None, **extra_fields: Any):
        if not email:
            raise ValueError("An email address is required.")
        # Refuses (ValidationError) what has no canonical form: nothing is created, nothing is shortened.
        user = self.model(email=canonical_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True or extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)
