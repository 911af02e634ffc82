"""The User's stored files: which fields hold them, and which names a row points at."""

from django.db import models
from django.db.models.fields.files import FieldFile


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
