"""How a request's files are received: streamed to temporary disk, at most ``CV_MAX_UPLOAD_BYTES`` of them in all.

They are spooled in a folder of the site's own (``FILE_UPLOAD_TEMP_DIR``). A request that ends normally takes its
file away (stored, or deleted); a worker killed while it receives one (gunicorn's timeout, the OOM killer, the end of
a restart's drain) leaves it there: ``remove_partial_uploads`` removes those, when gunicorn starts
(config/gunicorn.conf.py) and in the daily ``sweep_orphaned_files``.
"""

import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest

logger = logging.getLogger(__name__)

# How Django's TemporaryUploadedFile names its files (tempfile's "tmp" prefix, ".upload" and the file's extension):
# only these are ever removed, so a folder set by mistake to one other things live in loses nothing else.
PARTIAL_UPLOAD_PATTERN = "tmp*.upload*"


class OversizedUploadedFile(UploadedFile):
    """Stands in for a file the cap cut off: no content, and a size past the limit, so validation refuses it."""

    def __init__(self, name: str, content_type: str | None, size: int) -> None:
        super().__init__(BytesIO(), name=name, content_type=content_type, size=size)


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Stream a request's files to temporary files, but keep at most the limit of them, all files together.

    Django makes one handler per request, so the count spans every file part of it: twenty parts just under
    the limit never reach the disk together. Once the total passes the limit, the file being received is
    deleted and nothing more is kept; the rest of the request is still read (and dropped), so the form comes
    back with a size message instead of a reset connection. Temporary disk never holds more than the limit.
    (How many file parts a request may have at all is ``DATA_UPLOAD_MAX_NUMBER_FILES``.)
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int = settings.CV_MAX_UPLOAD_BYTES
        self.request_bytes = 0  # every file byte of this request received so far, kept or not
        self.kept_bytes = 0  # what of it sits in temporary files
        self.over_limit = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        self.cut_off = self.over_limit
        if self.cut_off:
            self.file.close()  # a file after the cap is never written; closing deletes the empty temporary file

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.request_bytes += len(raw_data)
        if self.cut_off:
            return None
        if self.kept_bytes + len(raw_data) > self.limit:
            self.cut_off = self.over_limit = True
            self.file.close()  # deletes the temporary file
            self.kept_bytes -= self.file_bytes
            return None
        self.file_bytes += len(raw_data)
        self.kept_bytes += len(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.cut_off:
            # Sized as all this request's file bytes so far, which is past the limit whichever file crossed it.
            return OversizedUploadedFile(self.file_name or "", self.content_type, self.request_bytes)
        return super().file_complete(file_size)


@dataclass(frozen=True)
class PartialUpload:
    """A file in the upload folder: an upload being received, or one whose request never ended."""

    path: Path
    size: int
    modified: float  # seconds since the epoch


def partial_uploads(*, modified_before: float | None = None) -> list[PartialUpload]:
    """The upload folder's files, last written before ``modified_before`` (all of them when it is None)."""
    if not settings.FILE_UPLOAD_TEMP_DIR:
        return []  # the system's temporary folder: not the site's to clean
    found = []
    for path in sorted(Path(settings.FILE_UPLOAD_TEMP_DIR).glob(PARTIAL_UPLOAD_PATTERN)):
        try:
            status = path.stat()
        except FileNotFoundError:
            continue  # its request ended meanwhile
        if path.is_file() and (modified_before is None or status.st_mtime < modified_before):
            found.append(PartialUpload(path, status.st_size, status.st_mtime))
    return found


def remove_partial_uploads(*, modified_before: float | None = None) -> list[PartialUpload]:
    """Delete the upload folder's files last written before ``modified_before`` (all when None, as when gunicorn
    starts: none of its workers is receiving anything yet); log what went, as one event."""
    removed = []
    for upload in partial_uploads(modified_before=modified_before):
        upload.path.unlink(missing_ok=True)
        removed.append(upload)
    if removed:
        logger.info(
            "partial uploads removed",
            extra={
                "event": "partial_uploads_removed",
                "files": len(removed),
                "bytes": sum(upload.size for upload in removed),
                "folder": str(settings.FILE_UPLOAD_TEMP_DIR),
            },
        )
    return removed
