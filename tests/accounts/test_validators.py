"""The CV validator judges crafted bytes by extension and content, never inflating or parsing them."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.validators import validate_cv_file
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files

# Refusing or accepting a hostile archive must never take as long as inflating it would.
QUICKLY = 1.0


def refusal(name: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_cv_file(SimpleUploadedFile(name, data))
    return caught.value


@pytest.fixture(scope="module")
def docx_zip_bomb() -> bytes:
    return cv_files.make_docx_zip_bomb()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cv.pdf", cv_files.make_pdf()),
        ("cv.docx", cv_files.make_docx()),
        ("cv.odt", cv_files.make_odt()),
    ],
)
def test_real_minimal_documents_are_accepted(name, data):
    validate_cv_file(SimpleUploadedFile(name, data))


def test_uppercase_extension_is_accepted():
    validate_cv_file(SimpleUploadedFile("CV.PDF", cv_files.make_pdf()))


def test_executable_renamed_pdf_is_refused():
    error = refusal("cv.pdf", cv_files.EXE_BYTES)
    assert error.code == "cv_content"
    assert "not a real PDF document" in error.messages[0]


def test_html_renamed_pdf_is_refused():
    error = refusal("cv.pdf", cv_files.HTML_BYTES)
    assert error.code == "cv_content"


def test_empty_file_is_refused():
    error = refusal("cv.pdf", b"")
    assert error.messages == ["The file is empty."]


def test_plain_zip_renamed_docx_is_refused():
    error = refusal("cv.docx", cv_files.make_plain_zip())
    assert error.code == "cv_content"
    assert "not a real DOCX document" in error.messages[0]


def test_pdf_renamed_odt_is_refused():
    error = refusal("cv.odt", cv_files.make_pdf())
    assert error.code == "cv_content"


def test_docx_renamed_odt_is_refused():
    error = refusal("cv.odt", cv_files.make_docx())
    assert error.code == "cv_content"


def test_docx_zip_bomb_is_refused_quickly_by_its_declared_size(docx_zip_bomb):
    assert len(docx_zip_bomb) < 1024 * 1024  # small on the wire, 200 MiB once inflated
    started = time.monotonic()
    error = refusal("cv.docx", docx_zip_bomb)
    assert time.monotonic() - started < QUICKLY
    assert error.code == "cv_zip_bomb"


def test_xml_entity_bomb_docx_is_never_parsed():
    started = time.monotonic()
    # The validator reads only the ZIP directory, so the bomb's XML is never expanded: it passes as
    # a well-formed DOCX container, and does so at once.
    validate_cv_file(SimpleUploadedFile("cv.docx", cv_files.make_xml_entity_bomb_docx()))
    assert time.monotonic() - started < QUICKLY


def test_file_at_the_limit_is_accepted(settings):
    settings.CV_MAX_UPLOAD_BYTES = 1024 * 1024
    data = cv_files.make_pdf().ljust(1024 * 1024, b" ")
    validate_cv_file(SimpleUploadedFile("cv.pdf", data))


def test_file_one_byte_over_the_limit_is_refused(settings):
    settings.CV_MAX_UPLOAD_BYTES = 1024 * 1024
    data = cv_files.make_pdf().ljust(1024 * 1024 + 1, b" ")
    error = refusal("cv.pdf", data)
    assert error.code == "cv_too_large"


def test_size_message_states_the_limit_in_human_units(settings):
    settings.CV_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    error = refusal("cv.pdf", cv_files.make_pdf().ljust(5 * 1024 * 1024 + 1, b" "))
    assert error.messages == ["The file is too large: a CV can be at most 5.0\xa0MB."]


def test_exe_extension_is_refused_whatever_the_content():
    error = refusal("cv.exe", cv_files.make_pdf())
    assert error.code == "cv_extension"
    assert "“.exe”" in error.messages[0]


def test_name_without_extension_is_refused():
    error = refusal("cv", cv_files.make_pdf())
    assert error.code == "cv_extension"


def test_name_with_parent_folder_parts_is_judged_by_content_and_stored_under_a_random_name(user, media_root):
    upload = SimpleUploadedFile("../../etc/cv.pdf", cv_files.make_pdf())
    validate_cv_file(upload)

    user.cv = upload
    user.save()

    assert stored_cv_name(user.pk, "pdf").fullmatch(user.cv.name)
    assert stored_files(media_root) == [user.cv.name]
    assert user.cv_original_name == "cv.pdf"
