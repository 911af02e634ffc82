"""Exporting a person's data: everything the site keeps about them as JSON, with their CV, streamed as one ZIP."""

import json
import zipfile
from collections.abc import Iterator
from typing import IO, Any, cast

from allauth.account.models import EmailAddress
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder

from security import activity, devices

from .cv import clean_original_filename, open_cv
from .models import User

EXPORT_CHUNK_SIZE = 64 * 1024
PROFILE_ENTRY_NAME = "profile.json"


def export_data(*, user: User) -> dict[str, Any]:
    """Everything the site keeps about a person, as JSON-ready data."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_active": user.is_active,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "cv": (
            {"file_name": user.cv_original_name, "size": user.cv_size, "uploaded_at": user.cv_uploaded_at}
            if user.cv
            else None
        ),
        "security_activity": activity.export_events(user=user),
        "browsers": devices.export_devices(user=user),
    }


class _StreamBuffer:
    """A write-only file that hands what was written to a generator, so a ZIP can stream."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def stream_export_zip(*, user: User) -> Iterator[bytes]:
    """A ZIP of ``profile.json`` and the CV, as chunks, reading the CV from storage chunk by chunk.

    The CV is opened now, before the caller starts a response: while storage is down this raises
    ``CVStorageUnavailable``, and the person gets a page saying so instead of a broken download.
    """
    data = json.dumps(export_data(user=user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    source = open_cv(user)
    # Entry names come from the person: one plain file name, never a path, never profile.json again.
    cv_entry_name = clean_original_filename(user.cv_original_name)
    if cv_entry_name == PROFILE_ENTRY_NAME:
        cv_entry_name = f"cv-{cv_entry_name}"
    return _zip_chunks(data, source, cv_entry_name)


def _zip_chunks(data: str, source: File | None, cv_entry_name: str) -> Iterator[bytes]:
    buffer = _StreamBuffer()
    with zipfile.ZipFile(cast(IO[bytes], buffer), mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PROFILE_ENTRY_NAME, data)
        yield buffer.drain()
        if source is not None:
            with source, archive.open(cv_entry_name, mode="w") as target:
                while chunk := source.read(EXPORT_CHUNK_SIZE):
                    target.write(chunk)
                    yield buffer.drain()
    yield buffer.drain()
