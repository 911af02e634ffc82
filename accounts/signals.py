"""Receivers on the User model, for what its owner guarantees however a user is created, changed or deleted (a form,
the admin, a shell, a queryset, a cascade): the welcome email, and the cleanup of stored files after the commit."""

from collections.abc import Collection
from typing import Any

from django.db.models.signals import post_delete, post_init, post_save, pre_save
from django.dispatch import receiver

from mail.outbox import enqueue_in_transaction

from . import cv
from .emails import send_welcome_email
from .models import User
from .tasks import delete_stored_files


def schedule_file_deletion(names: Collection[str | None], *, user_id: int | None, reason: str) -> None:
    """Hand the CV files to the cleanup task, which runs only once the current transaction has committed."""
    if to_delete := sorted({name for name in names if name}):
        enqueue_in_transaction(delete_stored_files, field_name="cv", names=to_delete, user_id=user_id, reason=reason)


@receiver(post_save, sender=User, dispatch_uid="accounts.welcome_email")
def schedule_welcome_email(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    """Queue the welcome email in the transaction that creates the user; none for fixtures or later saves."""
    if created and not raw:
        send_welcome_email(email=instance.email, first_name=instance.first_name, language=instance.language)


@receiver(post_init, sender=User, dispatch_uid="accounts.remember_loaded_cv")
def remember_loaded_cv(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Note the CV name each instance is loaded with: what a save compares against, at no query."""
    cv.remember_loaded_name(instance)


@receiver(pre_save, sender=User, dispatch_uid="accounts.record_cv_metadata")
def record_cv_metadata(sender: type[User], instance: User, raw: bool, **kwargs: Any) -> None:
    """Keep the CV's display name, size and date in step with its file, however the file was set."""
    if not raw:
        cv.record_cv_metadata(instance)


@receiver(post_save, sender=User, dispatch_uid="accounts.delete_replaced_files")
def delete_replaced_files(
    sender: type[User], instance: User, raw: bool, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    """Once a save that replaced or cleared the CV is committed, delete the file the row held before."""
    if raw or (update_fields is not None and "cv" not in update_fields):
        return
    previous, current = cv.loaded_name(instance), cv.stored_name(instance)
    if previous and previous != current:
        schedule_file_deletion([previous], user_id=instance.pk, reason="replaced")
    if cv.cv_changed(instance):
        cv.remember_loaded_name(instance)  # the row holds this instance's CV now


@receiver(post_delete, sender=User, dispatch_uid="accounts.delete_files_of_deleted_user")
def delete_files_of_deleted_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    """Once a user's deletion is committed (one, a queryset, a cascade), delete their CV file."""
    names = [cv.loaded_name(instance), cv.stored_name(instance)]
    schedule_file_deletion(names, user_id=instance.pk, reason="user_deleted")
