"""Receivers on the User model: the welcome email and the cleanup of its stored files."""

import logging
from functools import partial

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from .emails import send_welcome_email
from .models import User

logger = logging.getLogger(__name__)

STORED_NAMES = "_stored_file_names"


def file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.FileField)]


def stored_file_names(instance: models.Model) -> dict[str, str]:
    """The names of files already in storage; deferred fields and pending uploads are left out."""
    names = {}
    for field in file_fields(type(instance)):
        value = instance.__dict__.get(field.attname)
        if isinstance(value, str):
            names[field.attname] = value
        elif isinstance(value, FieldFile) and value._committed:
            names[field.attname] = value.name or ""
    return names


def delete_stored_file(field: models.FileField, name: str, *, user_id: int | None, reason: str) -> None:
    """Delete one file through its storage, unless another row still points at it."""
    model = field.model
    if model._default_manager.filter(**{field.attname: name}).exists():
        logger.info("event=file_kept reason=still_referenced field=%s name=%s user_id=%s", field.name, name, user_id)
        return
    try:
        field.storage.delete(name)
    except Exception:
        # The row is gone or changed already; sweep_orphaned_files will catch what is left.
        logger.exception("event=file_delete_failed field=%s name=%s user_id=%s", field.name, name, user_id)
        return
    logger.info("event=file_deleted reason=%s field=%s name=%s user_id=%s", reason, field.name, name, user_id)


@receiver(post_init, sender=User, dispatch_uid="accounts.remember_file_names")
def remember_file_names(sender: type[User], instance: User, **kwargs) -> None:
    """Remember the stored file names as loaded, so a save can tell what it replaced without a query."""
    setattr(instance, STORED_NAMES, stored_file_names(instance))


@receiver(post_save, sender=User, dispatch_uid="accounts.welcome_email")
def schedule_welcome_email(sender: type[User], instance: User, created: bool, raw: bool, using: str, **kwargs) -> None:
    """Queue the welcome email once the new user is committed; never for fixtures or later saves."""
    if created and not raw:
        callback = partial(send_welcome_email, email=instance.email, first_name=instance.first_name)
        transaction.on_commit(callback, using=using, robust=True)


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
            callback = partial(delete_stored_file, field, old_name, user_id=instance.pk, reason="replaced")
            transaction.on_commit(callback, using=using, robust=True)


@receiver(post_delete, sender=User, dispatch_uid="accounts.delete_files_of_deleted_user")
def delete_files_of_deleted_user(sender: type[User], instance: User, using: str, **kwargs) -> None:
    """Once a user's deletion is committed (one, a queryset, a cascade), delete each of their files."""
    remembered = getattr(instance, STORED_NAMES, {})
    current = stored_file_names(instance)
    for field in file_fields(sender):
        for name in {remembered.get(field.attname), current.get(field.attname)} - {None, ""}:
            callback = partial(delete_stored_file, field, name, user_id=instance.pk, reason="user_deleted")
            transaction.on_commit(callback, using=using, robust=True)
