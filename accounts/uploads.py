"""Where CVs are stored, how their original names are cleaned, and the upload size cut-off."""

import os
import secrets
import unicodedata
from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

ORIGINAL_NAME_MAX_LENGTH = 120
CV_FOLDER = "cvs"
# Every folder that user uploads are stored under; sweep_orphaned_files looks in these.
UPLOAD_FOLDERS = (CV_FOLDER,)


def cv_upload_to(instance: object, filename: str) -> str:
    """Store every CV under a random name: nobody can guess it, and no two uploads collide."""
    extension = os.path.splitext(filename)[1].lower()
    return f"{CV_FOLDER}/{secrets.token_urlsafe(18)}{extension}"


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


class OversizedUploadedFile(UploadedFile):
    """Stands in for an upload that was cut off: it has the size seen so far and no content."""

    def __init__(self, name: str, content_type: str | None, size: int) -> None:
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Stream uploads to a temporary file, but stop keeping bytes once a file passes the limit.

    The rest of the request is still read (and dropped), so the form comes back with a size
    message instead of a reset connection; disk never holds more than the limit.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.limit = settings.CV_MAX_UPLOAD_BYTES
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.oversized:
            return None
        if self.received > self.limit:
            self.oversized = True
            self.file.close()  # deletes the temporary file
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.oversized:
            return OversizedUploadedFile(self.file_name, self.content_type, self.received)
        return super().file_complete(file_size)
