"""The CV's whole life: its stored name, what is kept about it, replacing and clearing it, serving it, sweeping it.

The rules that keep a person's newest CV safe live here and nowhere else:

- a row writes its CV columns only when *that instance* changed its CV (``columns_to_save``), so a save from a
  copy loaded before someone replaced the CV (allauth's ``set_password`` then ``save``, the admin, a shell) can
  never point the row back at a file that cleanup deleted;
- ``replace_cv`` and ``clear_cv`` read the row's current file under a lock, so the file they replace is the one the
  row really held, even when the instance they were given is stale;
- a storage fault (``STORAGE_FAULTS``) changes nothing, leaves no partial file and becomes ``CVStorageUnavailable``,
  which the pages turn into a message or a 503 page;
- ``find_stray_files`` never offers for deletion a user's newest upload while their row points at an older or
  missing file.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import User

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

AnyResponse = TypeVar("AnyResponse", bound=HttpResponseBase)


class CVStorageUnavailable(Exception):
    """The CV's storage failed; nothing was changed and nothing was left behind. Worth trying again later."""

    message = gettext_lazy("The CV could not be stored just now. Please try again in a few minutes.")

    def __str__(self) -> str:
        return str(self.message)


# --- Names ------------------------------------------------------------------------------------


def cv_upload_to(instance: User, filename: str) -> str:
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


def stored_name(user: User) -> str | None:
    """The name of the stored file this instance points at ("" for none); None when deferred or an upload is pending."""
    if "cv" not in user.__dict__:
        return None
    value = user.__dict__["cv"]
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, FieldFile) and getattr(value, "_committed", False):
        return value.name or ""
    return None  # a file assigned but not yet stored


def remember_loaded_name(user: User) -> None:
    """Note the CV name this instance now shares with its row (after a load, a refresh or a save): no query."""
    setattr(user, LOADED_NAME, stored_name(user))


def loaded_name(user: User) -> str | None:
    """The CV name the row held when this instance last read or wrote it; None when unknown."""
    return getattr(user, LOADED_NAME, None)


def cv_changed(user: User) -> bool:
    """Whether this instance changed its CV since it last read or wrote the row (a new upload, a clear, a name)."""
    current = stored_name(user)
    if current is None:
        return "cv" in user.__dict__  # an upload waiting to be stored (a deferred CV was never touched)
    return current != loaded_name(user)


def columns_to_save(user: User, update_fields: Iterable[str] | None, *, force_insert: Any = False) -> list[str] | None:
    """The ``update_fields`` a save of ``user`` may use: the CV's columns only if this instance changed its CV.

    A full save of an instance loaded before another request replaced the CV would otherwise write the old
    name back, and cleanup has already deleted that file. Leaving the columns out costs no query.
    """
    if user._state.adding or user.pk is None or force_insert or cv_changed(user):
        return None if update_fields is None else list(update_fields)
    if update_fields is None:
        deferred = user.get_deferred_fields()
        update_fields = (
            field.name
            for field in user._meta.concrete_fields
            if not field.primary_key and not getattr(field, "generated", False) and field.attname not in deferred
        )
    return [name for name in update_fields if name not in COLUMNS]


def record_cv_metadata(user: User) -> None:
    """Keep the display name, size and date in step with the file, however it was set."""
    if not user.cv:
        user.cv_original_name, user.cv_size, user.cv_uploaded_at = "", None, None
    elif not getattr(user.cv, "_committed", False):
        user.cv_original_name = clean_original_filename(user.cv.name or "")
        user.cv_size = user.cv.size
        user.cv_uploaded_at = timezone.now()


# --- Replacing and clearing ---------------------------------------------------------------------


def replace_cv(*, user: User, upload: File) -> None:
    """Store ``upload`` as the user's CV and point the row at it; the file it replaces is deleted after commit.

    The file is written before the transaction, so no lock is held while it travels to storage. Raises
    ``CVStorageUnavailable`` when storage fails: the row is untouched and no partial file is left.
    """
    field = user._meta.get_field("cv")
    storage = field.storage
    original_name = upload.name or ""
    name = field.generate_filename(user, original_name)
    try:
        name = storage.save(name, upload, max_length=field.max_length)
    except STORAGE_FAULTS as error:
        # A failed write can leave a partial file (FileSystemStorage does, on a full disk). The name is random
        # (144 bits), so whatever sits under it is this upload's.
        left_behind = {"left_behind": name} if discard(storage, name) else {}
        report_fault("store", user, error, **left_behind)
        raise CVStorageUnavailable from error
    try:
        with transaction.atomic():
            _lock_and_remember(user)
            user.cv = name
            user.cv_original_name = clean_original_filename(original_name)
            user.cv_size = upload.size
            user.cv_uploaded_at = timezone.now()
            user.save(update_fields=COLUMNS)
    except BaseException:
        if fault := discard(storage, name):  # nothing points at it
            logger.warning(
                "stray CV not deleted; the sweep will",
                extra={"event": "file_delete_failed", "file": name, "user_id": user.pk, "error": repr(fault)},
            )
        raise


def clear_cv(*, user: User) -> None:
    """Remove the user's CV from the row; the file is deleted after commit."""
    with transaction.atomic():
        _lock_and_remember(user)
        user.cv = ""
        user.save(update_fields=COLUMNS)


def _lock_and_remember(user: User) -> None:
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


def report_fault(operation: str, user: User, error: Exception, **details: Any) -> None:
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


# --- Reading and serving ------------------------------------------------------------------------


class PresigningStorage(Protocol):
    """A storage that hands out signed, expiring URLs for its files (django-storages' S3)."""

    querystring_auth: bool

    def exists(self, name: str) -> bool: ...

    def url(self, name: str, parameters: dict[str, str] | None = None, expire: int | None = None) -> str: ...


def can_presign(storage: Storage) -> TypeGuard[PresigningStorage]:
    """Whether the storage hands out signed, expiring URLs (django-storages' S3 with ``querystring_auth``).

    Decided by what the storage can do, not by its class: anything else (the local disk, Django's
    InMemoryStorage, an unsigned bucket) is streamed through the storage API instead.
    """
    if not getattr(storage, "querystring_auth", False):
        return False
    return {"parameters", "expire"} <= inspect.signature(storage.url).parameters.keys()


def private_download(response: AnyResponse) -> AnyResponse:
    """Mark a personal download: never cached by shared caches, never sniffed, always an attachment."""
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def cv_download_response(request: HttpRequest, user: User) -> HttpResponseBase:
    """The user's CV as a private attachment under its original name; 404 without one, 503 while storage is down.

    A storage that can presign answers with a redirect to a URL valid for ``PRESIGNED_URL_SECONDS``, after one
    check that the object is there; any other storage is streamed through the storage API.
    """
    if not user.cv:
        raise Http404("No CV uploaded.")
    storage, name = user.cv.storage, user.cv.name or ""
    try:
        if can_presign(storage):
            if not storage.exists(name):
                raise FileNotFoundError(name)
            disposition = content_disposition_header(as_attachment=True, filename=user.cv_original_name)
            url = storage.url(
                name, parameters={"ResponseContentDisposition": disposition}, expire=settings.PRESIGNED_URL_SECONDS
            )
            return private_download(HttpResponseRedirect(url))
        handle = storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404("The CV file is missing.") from error
    except STORAGE_FAULTS as error:
        report_fault("download", user, error)
        return storage_unavailable_response(request)
    return private_download(FileResponse(handle, as_attachment=True, filename=user.cv_original_name))


def open_cv(user: User) -> File | None:
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


def storage_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The page for a download that storage cannot serve just now: 503, try again later."""
    response = render(request, "accounts/storage_unavailable.html", status=503)
    response["Retry-After"] = "60"
    patch_cache_control(response, private=True, no_store=True)
    # The fault was logged once as an event; Django would add an ERROR line for every 5xx answer.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


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
    from .models import User

    manager = User._default_manager
    storage = User._meta.get_field("cv").storage
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
