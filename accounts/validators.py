"""Validation of uploaded CVs: type by extension and content, size, and ZIP sanity."""

import os
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat

CV_EXTENSIONS = ("pdf", "docx", "odt")
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# A CV archive may declare at most this many times the upload limit once unpacked.
ZIP_EXPANSION_FACTOR = 10
ZIP_MAX_ENTRIES = 2000


def describe_cv_rules() -> str:
    limit = filesizeformat(settings.CV_MAX_UPLOAD_BYTES)
    return f"PDF, DOCX or ODT, at most {limit}."


def validate_cv_file(value: File) -> None:
    """Refuse anything that is not a non-empty PDF, DOCX or ODT within the size limit."""
    if getattr(value, "_committed", False):
        # Already stored, hence already validated: re-reading it (from S3, say) would cost a request.
        return
    extension = os.path.splitext(value.name or "")[1].lower().lstrip(".")
    if extension not in CV_EXTENSIONS:
        raise ValidationError(
            "Upload a PDF, DOCX or ODT file (this one ends in “%(extension)s”).",
            code="cv_extension",
            params={"extension": f".{extension}" if extension else "no extension"},
        )
    limit = settings.CV_MAX_UPLOAD_BYTES
    if value.size == 0:
        raise ValidationError("The file is empty.", code="cv_empty")
    if value.size > limit:
        raise ValidationError(
            "The file is too large: a CV can be at most %(limit)s.",
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
        "The file's content is not a real %(kind)s document, whatever its name says.",
        code="cv_content",
        params={"kind": extension.upper()},
    )


def _check_pdf(value: File) -> None:
    value.seek(0)
    if not value.read(5) == b"%PDF-":
        raise _mismatch("pdf")


def _check_office_zip(value: File, extension: str, limit: int) -> None:
    """Judge a DOCX or ODT by its ZIP directory; members are never inflated or parsed as XML."""
    value.seek(0)
    try:
        with zipfile.ZipFile(value) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES or sum(e.file_size for e in entries) > limit * ZIP_EXPANSION_FACTOR:
                raise ValidationError(
                    "The document unpacks to far more than a CV ever needs; it was refused.",
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
