"""Receivers on the User model: the welcome email and the cleanup of its stored files."""

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from .emails import send_welcome_email
from .files import file_fields, stored_file_names
from .models import User
from .tasks import delete_stored_files, enqueue_in_transaction

STORED_NAMES = "_stored_file_names"


def schedule_file_deletion(field_name: str, names: set[str], *, user_id: int | None, reason: str) -> None:
    """Hand the names to the cleanup task, which runs only once the current transaction has committed."""
    if names:
        enqueue_in_transaction(
            delete_stored_files, field_name=field_name, names=sorted(names), user_id=user_id, reason=reason
        )


@receiver(post_init, sender=User, dispatch_uid="accounts.remember_file_names")
def remember_file_names(sender: type[User], instance: User, **kwargs) -> None:
    """Remember the stored file names as loaded, so a save can tell what it replaced without a query."""
    setattr(instance, STORED_NAMES, stored_file_names(instance))


@receiver(post_save, sender=User, dispatch_uid="accounts.welcome_email")
def schedule_welcome_email(sender: type[User], instance: User, created: bool, raw: bool, using: str, **kwargs) -> None:
    """Queue the welcome email in the transaction that creates the user; none for fixtures or later saves."""
    if created and not raw:
        send_welcome_email(email=instance.email, first_name=instance.first_name)


@receiver(post_save, sender=User, dispatch_uid="accounts.delete_replaced_files")
def delete_replaced_files(sender: type[User], instance: User, raw: bool, using: str, **kwargs) -> None:
    """Once a save that replaced or cleared a file is committed, delete the old file."""
    previous = getattr(instance, STORED_NAMES, {})
    current = stored_file_names(instance)
    setattr(instance, STORED_NAMES, current)
    if raw:
        return
    for field in file_fields(sender):
        old_name = previous.get(field.attname)
        if old_name and old_name != current.get(field.attname, old_name):
            schedule_file_deletion(field.name, {old_name}, user_id=instance.pk, reason="replaced")


@receiver(post_delete, sender=User, dispatch_uid="accounts.delete_files_of_deleted_user")
def delete_files_of_deleted_user(sender: type[User], instance: User, using: str, **kwargs) -> None:
    """Once a user's deletion is committed (one, a queryset, a cascade), delete each of their files."""
    remembered = getattr(instance, STORED_NAMES, {})
    current = stored_file_names(instance)
    for field in file_fields(sender):
        names = {remembered.get(field.attname), current.get(field.attname)} - {None, ""}
        schedule_file_deletion(field.name, names, user_id=instance.pk, reason="user_deleted")
