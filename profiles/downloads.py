"""The CV's HTTP side: a person's CV (or, in the admin, anyone's for staff) as a private attachment.

A storage that can presign (django-storages' S3 with ``querystring_auth``) answers with a redirect to a URL valid for
``PRESIGNED_URL_SECONDS``, after one check that the object is there; any other storage is streamed through the
storage API. A missing file is a 404; a storage that fails raises ``CVStorageUnavailable``, which the site's error
handler answers with its 503 page (web/views.py).
"""

import inspect
from typing import Protocol, TypeGuard, TypeVar

from django.conf import settings
from django.core.files.storage import Storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from accounts.cv import STORAGE_FAULTS, CVStorageUnavailable, report_fault
from accounts.models import User

AnyResponse = TypeVar("AnyResponse", bound=HttpResponseBase)


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


def cv_download_response(user: User) -> HttpResponseBase:
    """The user's CV as a private attachment under its original name; 404 without one."""
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
        raise CVStorageUnavailable from error
    return private_download(FileResponse(handle, as_attachment=True, filename=user.cv_original_name))
