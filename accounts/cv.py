"""The CV's rules and storage: its stored name, what is kept about it, replacing, clearing, reading and sweeping it.

Its HTTP side (downloads) is profiles/downloads.py.

The rules that keep a person's newest CV safe live here and nowhere else:

- a row writes its CV columns only when *that instance* changed its CV (the columns' fields,
  ``SavedOnlyWhenThisInstanceChangedItsCV``), so a save from a copy loaded before someone replaced the CV
  (allauth's ``set_password`` then ``save``, the admin, a shell) can never point the row back at a file that
  cleanup deleted;
- ``replace_cv`` and ``clear_cv`` read the row's current file under a lock, so the file they replace is the one the
  row really held, even when the instance they were given is stale;
- a storage fault (``STORAGE_FAULTS``) changes nothing, leaves no partial file and becomes ``CVStorageUnavailable``,
  which the pages turn into a message next to the field or the site's 503 page;
- ``find_stray_files`` never offers for deletion a user's newest upload while their row points at an older or
  missing file.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import F, FileField
from django.db.models.base import ModelState
from django.db.models.fields.files import FieldFile
from django.db.models.options import Options
from django.utils import timezone
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

FOLDER = "cvs"
# The columns that describe one stored CV; they are written together or not at all.
COLUMNS = ("cv", "cv_original_name", "cv_size", "cv_uploaded_at")
ORIGINAL_NAME_MAX_LENGTH = 120
TOKEN_BYTES = 18  # 24 URL-safe characters: nobody guesses a name, and no two uploads ever share one
# cvs/<owner's pk>-<token>.<ext>; files stored before the owner had a pk (or by older versions) have no owner part.
STORED_NAME = re.compile(rf"{FOLDER}/(?P<owner>\d+)-[A-Za-z0-9_-]{{24}}(\.[^/]*)?")

# What a failing storage raises: the disk (full, read-only, I/O error: OSError) or object storage (unreachable,
# timing out, answering with an error: botocore's BotoCoreError and ClientError). A file that is simply not there
# (FileNotFoundError, an S3 404) is told apart where it matters: it is a 404, not an outage.
STORAGE_FAULTS: tuple[type[Exception], ...] = (OSError, BotoCoreError, ClientError)

LOADED_NAME = "_loaded_cv_name"


class CVOwner(Protocol):
    """What these rules need of the model that holds a CV (accounts.models.User). Named here, so that this module,
    which the model is built on, never imports the model back."""

    pk: Any
    cv: Any  # a FieldFile to read; a name, a File or "" to assign
    cv_original_name: str
    cv_size: int | None
    cv_uploaded_at: datetime | None
    _meta: ClassVar[Options[Any]]
    _state: ModelState

    def save(self, *, update_fields: Iterable[str] | None = ...) -> None: ...


class CVStorageUnavailable(Exception):
    """The CV's storage failed; nothing was changed and nothing was left behind. Worth trying again later."""

    message = gettext_lazy("The CV could not be stored just now. Please try again in a few minutes.")

    def __str__(self) -> str:
        return str(self.message)


# --- Names ------------------------------------------------------------------------------------


def cv_upload_to(instance: CVOwner, filename: str) -> str:
    """A random name in the owner's namespace: ``cvs/<pk>-<random>.<ext>``, or ``cvs/<random>.<ext>`` before a pk.

    The owner's pk lets the sweep tell whose upload a stray file is, from its name alone, in one flat listing.
    """
    extension = os.path.splitext(filename)[1].lower()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    owner = f"{instance.pk}-" if instance.pk is not None else ""
    return f"{FOLDER}/{owner}{token}{extension}"


def owner_of(name: str) -> int | None:
    """The pk of the user a stored CV was uploaded for, when its name says so."""
    match = STORED_NAME.fullmatch(name)
    return int(match["owner"]) if match else None


def clean_original_filename(name: str) -> str:
    """Return a display name without path parts, control characters or excessive length."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in name)
    name = " ".join(name.split()).strip(". ")
    stem, extension = os.path.splitext(name)
    if len(name) > ORIGINAL_NAME_MAX_LENGTH:
        name = stem[: ORIGINAL_NAME_MAX_LENGTH - len(extension)].rstrip() + extension
    return name or "cv"


# --- What a row points at -----------------------------------------------------------------------


def stored_name(user: CVOwner) -> str | None:
    """The name of the stored file this instance points at ("" for none); None when deferred or an upload is pending."""
    if "cv" not in user.__dict__:
        return None
    value = user.__dict__["cv"]
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, FieldFile) and getattr(value, "_committed", False):
        return value.name or ""
    return None  # a file assigned but not yet stored


def remember_loaded_name(user: CVOwner) -> None:
    """Note the CV name this instance now shares with its row (after a load, a refresh or a save): no query."""
    setattr(user, LOADED_NAME, stored_name(user))


def loaded_name(user: CVOwner) -> str | None:
    """The CV name the row held when this instance last read or wrote it; None when unknown."""
    return getattr(user, LOADED_NAME, None)


def cv_changed(user: CVOwner) -> bool:
    """Whether this instance changed its CV since it last read or wrote the row (a new upload, a clear, a name)."""
    current = stored_name(user)
    if current is None:
        return "cv" in user.__dict__  # an upload waiting to be stored (a deferred CV was never touched)
    return current != loaded_name(user)


class SavedOnlyWhenThisInstanceChangedItsCV:
    """A CV column that ``save()`` writes only when *this* instance changed its CV (or the row is new).

    Otherwise the column is written as itself (``SET cv = cv``): a full save of an instance loaded before another
    request replaced the CV (allauth's ``set_password`` then ``save``, the admin, a shell) leaves the row pointing at
    the new file, never at the old one, which cleanup has deleted. It costs no query: the instance knows the name it
    loaded (``remember_loaded_name``, on every load and save).
    """

    attname: str

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        if add or cv_changed(model_instance):
            return super().pre_save(model_instance, add)  # type: ignore[misc]
        return F(self.attname)


class CVFileField(SavedOnlyWhenThisInstanceChangedItsCV, models.FileField):
    """The stored CV's name."""


class CVNameField(SavedOnlyWhenThisInstanceChangedItsCV, models.CharField):
    """The CV's original, sanitised file name."""


class CVSizeField(SavedOnlyWhenThisInstanceChangedItsCV, models.PositiveBigIntegerField):
    """The CV's size in bytes."""


class CVDateField(SavedOnlyWhenThisInstanceChangedItsCV, models.DateTimeField):
    """When the CV was uploaded."""


def record_cv_metadata(user: CVOwner) -> None:
    """Keep the display name, size and date in step with the file, however it was set."""
    if not user.cv:
        user.cv_original_name, user.cv_size, user.cv_uploaded_at = "", None, None
    elif not getattr(user.cv, "_committed", False):
        user.cv_original_name = clean_original_filename(user.cv.name or "")
        user.cv_size = user.cv.size
        user.cv_uploaded_at = timezone.now()


# --- Replacing and clearing ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCV:
    """A file written to storage for a user, that no row points at yet."""

    name: str
    original_name: str
    size: int | None


def replace_cv(*, user: CVOwner, upload: File) -> None:
    """Store ``upload`` as the user's CV and point the row at it; the file it replaces is deleted after commit.

    The file is written before the transaction, so no lock is held while it travels to storage. Raises
    ``CVStorageUnavailable`` when storage fails: the row is untouched and no partial file is left.
    """
    stored = store_cv(user=user, upload=upload)
    try:
        with transaction.atomic():
            point_at_cv(user=user, stored=stored)
    except BaseException:
        _discard_unused(user, stored)  # nothing points at it
        raise


def store_cv(*, user: CVOwner, upload: File) -> StoredCV:
    """Write ``upload`` to storage under a new name in the user's namespace; nothing points at it yet.

    Call it outside any transaction (a write to object storage is a network round trip, and SQLite's write lock is
    the whole site's), then ``point_at_cv`` inside one. Raises ``CVStorageUnavailable`` when storage fails, leaving
    no partial file.
    """
    field = cast(FileField, user._meta.get_field("cv"))
    storage = field.storage
    original_name = upload.name or ""
    name = field.generate_filename(cast(models.Model, user), original_name)
    try:
        name = storage.save(name, upload, max_length=field.max_length)
    except STORAGE_FAULTS as error:
        # A failed write can leave a partial file (FileSystemStorage does, on a full disk). The name is random
        # (144 bits), so whatever sits under it is this upload's.
        left_behind = {"left_behind": name} if discard(storage, name) else {}
        report_fault("store", user, error, **left_behind)
        raise CVStorageUnavailable from error
    return StoredCV(name, clean_original_filename(original_name), upload.size)


def point_at_cv(*, user: CVOwner, stored: StoredCV) -> None:
    """Point the user's row at a stored CV, under the row's lock, in the caller's transaction; the file the row
    held is deleted after commit."""
    _lock_and_remember(user)
    user.cv = stored.name
    user.cv_original_name = stored.original_name
    user.cv_size = stored.size
    user.cv_uploaded_at = timezone.now()
    user.save(update_fields=COLUMNS)


def discard_unless_pointed_at(*, user: CVOwner, stored: StoredCV) -> None:
    """Once the transaction that may have pointed the row at ``stored`` is over (committed or rolled back), delete
    the file if the row does not point at it: a rejected form, a rolled-back save, leave nothing behind."""
    manager = user._meta.model._default_manager
    if not manager.filter(pk=user.pk, cv=stored.name).exists():
        _discard_unused(user, stored)


def _discard_unused(user: CVOwner, stored: StoredCV) -> None:
    field = cast(FileField, user._meta.get_field("cv"))
    if fault := discard(field.storage, stored.name):
        logger.warning(
            "stray CV not deleted; the sweep will",
            extra={"event": "file_delete_failed", "file": stored.name, "user_id": user.pk, "error": repr(fault)},
        )


def clear_cv(*, user: CVOwner) -> None:
    """Remove the user's CV from the row; the file is deleted after commit."""
    with transaction.atomic():
        _lock_and_remember(user)
        user.cv = ""
        user.save(update_fields=COLUMNS)


def _lock_and_remember(user: CVOwner) -> None:
    """Lock the row and note the file it really holds now: that, not what a stale instance saw, is replaced."""
    current = (
        user._meta.model._default_manager.select_for_update().filter(pk=user.pk).values_list("cv", flat=True).get()
    )
    setattr(user, LOADED_NAME, current or "")


def discard(storage: Storage, name: str) -> Exception | None:
    """Delete a file nothing points at (a file already gone is fine); return the storage fault that prevented it."""
    try:
        storage.delete(name)
    except STORAGE_FAULTS as error:
        return error
    return None


def report_fault(operation: str, user: CVOwner, error: Exception, **details: Any) -> None:
    """Log a storage fault once, as an event: one line per failed request, not a traceback."""
    logger.warning(
        "CV storage unavailable",
        extra={
            "event": "cv_storage_unavailable",
            "operation": operation,
            "user_id": user.pk,
            "error": repr(error),
            **details,
        },
    )


# --- Reading -----------------------------------------------------------------------------------


def open_cv(user: CVOwner) -> File | None:
    """Open the user's stored CV for reading; None without one, or when its file is missing (logged).

    Raises ``CVStorageUnavailable`` while storage is down, before the caller has sent anything.
    """
    if not user.cv:
        return None
    try:
        return user.cv.storage.open(user.cv.name or "", "rb")
    except FileNotFoundError:
        logger.warning("CV file missing", extra={"event": "cv_missing", "user_id": user.pk, "file": user.cv.name})
        return None
    except STORAGE_FAULTS as error:
        report_fault("read", user, error)
        raise CVStorageUnavailable from error


# --- Sweeping -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StrayFile:
    """A stored CV that no row points at."""

    name: str
    modified: datetime
    owner_id: int | None


def stored_cv_names(storage: Storage) -> Iterator[str]:
    """Every file under the CV folder, through the storage API (one listing per folder)."""
    pending = [FOLDER]
    while pending:
        folder = pending.pop()
        try:
            directories, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        pending.extend(f"{folder}/{directory}" for directory in directories)
        yield from (f"{folder}/{file}" for file in files)


def find_stray_files(*, modified_before: datetime, batch_size: int = 500) -> tuple[list[StrayFile], list[StrayFile]]:
    """Stored CVs no row points at, last modified before ``modified_before``: (to delete, to keep).

    Kept, and logged as a warning: a user's newest stray file when their row points at an older file or at one
    that is gone. That file is their newest upload, unreferenced only because some write bypassed the model
    (a raw ``update()``, a restored backup); deleting it would lose their CV. A user who cleared their CV, or
    who no longer exists, has nothing to keep.
    """
    model = get_user_model()
    manager = model._default_manager
    storage = cast(FileField, model._meta.get_field("cv")).storage
    strays: list[StrayFile] = []
    names = list(stored_cv_names(storage))
    for start in range(0, len(names), batch_size):
        batch = names[start : start + batch_size]
        referenced = set(manager.filter(cv__in=batch).values_list("cv", flat=True))
        for name in batch:
            if name in referenced:
                continue
            modified = storage.get_modified_time(name)
            if modified < modified_before:
                strays.append(StrayFile(name, modified, owner_of(name)))

    newest: dict[int, StrayFile] = {}
    for stray in strays:
        if stray.owner_id is not None and (
            stray.owner_id not in newest or stray.modified > newest[stray.owner_id].modified
        ):
            newest[stray.owner_id] = stray
    owners = list(newest)
    kept: list[StrayFile] = []
    for start in range(0, len(owners), batch_size):
        rows = manager.filter(pk__in=owners[start : start + batch_size]).exclude(cv="").values_list("pk", "cv")
        for owner_id, current in rows:
            candidate = newest[owner_id]
            try:
                current_modified: datetime | None = storage.get_modified_time(current)
            except FileNotFoundError:
                current_modified = None
            if current_modified is None or candidate.modified > current_modified:
                kept.append(candidate)
                logger.warning(
                    "stray CV kept: the newest upload of a user whose row points at an older or missing file",
                    extra={"event": "stray_cv_kept", "file": candidate.name, "user_id": owner_id, "current": current},
                )
    kept_names = {stray.name for stray in kept}
    return [stray for stray in strays if stray.name not in kept_names], kept
