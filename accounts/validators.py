"""Validation of uploaded CVs: type by extension and content, size, and ZIP sanity."""

import os
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_lazy

CV_EXTENSIONS = ("pdf", "docx", "odt")
# What the file picker is offered beside the extensions (phones filter by type). Never trusted: a browser may report
# any type, or none, so the server, and the browser's check before sending, judge by extension and content.
CV_MEDIA_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
)
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# A CV archive may declare at most this many times the upload limit once unpacked.
ZIP_EXPANSION_FACTOR = 10
ZIP_MAX_ENTRIES = 2000


# The refusals a browser can see for itself, before it sends a byte. They are the one source of these words: the page
# hands them to static/js/cv-upload.js (``cv_rules_for_browsers``), so the browser says exactly what the server would.
WRONG_EXTENSION = gettext_lazy("Upload a PDF, DOCX or ODT file (this one ends in “%(extension)s”).")
NO_EXTENSION = gettext_lazy("no extension")
EMPTY_FILE = gettext_lazy("The file is empty.")
TOO_LARGE = gettext_lazy("The file is too large: a CV can be at most %(limit)s.")
NOT_THE_CONTENT_NAMED = gettext_lazy(
    "This file cannot be read as %(kind)s: it may be damaged, or saved in another format. "
    "Save it again as PDF, DOCX or ODT, and upload that."
)
PDF_SIGNATURE = b"%PDF-"


def describe_cv_rules() -> str:
    return gettext("PDF, DOCX or ODT, at most %(limit)s.") % {"limit": filesizeformat(settings.CV_MAX_UPLOAD_BYTES)}


def cv_rules_for_browsers() -> dict[str, str]:
    """The CV rules and refusals as ``data-cv-*`` attributes for the upload field, in the active language.

    Placeholders the browser fills in (the file's extension, its kind) are kept as ``%(name)s``; the limit is
    formatted here, as the server formats it in its own message.
    """
    return {
        "data-cv-max-bytes": str(settings.CV_MAX_UPLOAD_BYTES),
        "data-cv-extensions": " ".join(CV_EXTENSIONS),
        "data-cv-pdf-signature": PDF_SIGNATURE.decode("ascii"),
        "data-cv-wrong-extension": str(WRONG_EXTENSION),
        "data-cv-no-extension": str(NO_EXTENSION),
        "data-cv-empty": str(EMPTY_FILE),
        "data-cv-too-large": str(TOO_LARGE) % {"limit": filesizeformat(settings.CV_MAX_UPLOAD_BYTES)},
        "data-cv-wrong-content": str(NOT_THE_CONTENT_NAMED),
    }


def validate_cv_file(value: File) -> None:
    """Refuse anything that is not a non-empty PDF, DOCX or ODT within the size limit."""
    if getattr(value, "_committed", False):
        # Already stored, hence already validated: re-reading it (from S3, say) would cost a request.
        return
    extension = os.path.splitext(value.name or "")[1].lower().lstrip(".")
    if extension not in CV_EXTENSIONS:
        raise ValidationError(
            WRONG_EXTENSION,
            code="cv_extension",
            params={"extension": f".{extension}" if extension else NO_EXTENSION},
        )
    limit = settings.CV_MAX_UPLOAD_BYTES
    if value.size == 0:
        raise ValidationError(EMPTY_FILE, code="cv_empty")
    if value.size > limit:
        raise ValidationError(
            TOO_LARGE,
            code="cv_too_large",
            params={"limit": filesizeformat(limit)},
        )
    try:
        if extension == "pdf":
            _check_pdf(value)
        else:
            _check_office_zip(value, extension, limit)
    finally:
        value.seek(0)


def _mismatch(extension: str) -> ValidationError:
    return ValidationError(
        NOT_THE_CONTENT_NAMED,
        code="cv_content",
        params={"kind": extension.upper()},
    )


def _check_pdf(value: File) -> None:
    value.seek(0)
    if value.read(len(PDF_SIGNATURE)) != PDF_SIGNATURE:
        raise _mismatch("pdf")


def _check_office_zip(value: File, extension: str, limit: int) -> None:
    """Judge a DOCX or ODT by its ZIP directory; members are never inflated or parsed as XML."""
    value.seek(0)
    try:
        with zipfile.ZipFile(value) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES or sum(e.file_size for e in entries) > limit * ZIP_EXPANSION_FACTOR:
                raise ValidationError(
                    gettext_lazy("The document unpacks to far more than a CV ever needs; it was refused."),
                    code="cv_zip_bomb",
                )
            names = {entry.filename for entry in entries}
            if extension == "docx":
                if not {"[Content_Types].xml", "word/document.xml"} <= names:
                    raise _mismatch(extension)
            else:
                mimetype = archive.getinfo("mimetype") if "mimetype" in names else None
                # ODF stores this entry first and uncompressed, so reading it inflates nothing.
                if (
                    mimetype is None
                    or mimetype.compress_type != zipfile.ZIP_STORED
                    or mimetype.file_size > 100
                    or archive.read(mimetype).strip() != ODT_MIMETYPE
                ):
                    raise _mismatch(extension)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as error:
        raise _mismatch(extension) from error
