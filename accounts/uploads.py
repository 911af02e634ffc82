"""How a request's files are received: streamed to temporary disk, at most ``CV_MAX_UPLOAD_BYTES`` of them in all."""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest


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
