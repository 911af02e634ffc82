"""The CV validator judges crafted bytes by extension and content, never inflating or parsing them."""

import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile

from accounts.validators import validate_cv_file
from testkit import cv_files
from testkit.files import stored_cv_name, stored_files


def refusal(name: str, data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_cv_file(SimpleUploadedFile(name, data))
    return caught.value


class ReadRecorder(io.BytesIO):
    """An upload's bytes in memory, as Django holds a small upload, noting every span of them that is read.

    What a hostile archive costs is decided by what is read of it, not by how long a loaded machine takes: a
    validator that never reads a member's bytes cannot inflate or parse them, however large they claim to be.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.spans: list[range] = []

    def read(self, size: int | None = -1) -> bytes:
        start = self.tell()
        chunk = super().read(size)
        self.spans.append(range(start, start + len(chunk)))
        return chunk

    def readinto(self, buffer) -> int:
        start = self.tell()
        count = super().readinto(buffer)
        self.spans.append(range(start, start + count))
        return count

    def bytes_read_within(self, span: range) -> int:
        return sum(len(range(max(read.start, span.start), min(read.stop, span.stop))) for read in self.spans)


def recorded_upload(name: str, data: bytes) -> tuple[InMemoryUploadedFile, ReadRecorder]:
    recorder = ReadRecorder(data)
    return InMemoryUploadedFile(recorder, "cv", name, None, len(data), None), recorder


def members_on_disk(data: bytes) -> dict[str, range]:
    """Each member of a ZIP and the bytes it occupies: its local header, then its compressed data (APPNOTE 4.3.7).

    Opening a member reads its local header; inflating it reads its data: reading neither means doing neither."""
    spans = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            header = member.header_offset
            name_length, extra_length = struct.unpack("<HH", data[header + 26 : header + 30])
            spans[member.filename] = range(header, header + 30 + name_length + extra_length + member.compress_size)
    return spans


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
    assert "cannot be read as PDF" in error.messages[0]


def test_a_file_that_is_not_what_its_name_says_is_refused_kindly_with_what_to_do():
    """Most such files are damaged or saved in another format by mistake: the message says what is wrong with the
    file and how to mend it, and accuses no one of lying about its name."""
    [message] = refusal("cv.odt", cv_files.make_pdf()).messages
    assert message == (
        "This file cannot be read as ODT: it may be damaged, or saved in another format. "
        "Save it again as PDF, DOCX or ODT, and upload that."
    )


def test_html_renamed_pdf_is_refused():
    error = refusal("cv.pdf", cv_files.HTML_BYTES)
    assert error.code == "cv_content"


def test_empty_file_is_refused():
    error = refusal("cv.pdf", b"")
    assert error.messages == ["The file is empty."]


def test_plain_zip_renamed_docx_is_refused():
    error = refusal("cv.docx", cv_files.make_plain_zip())
    assert error.code == "cv_content"
    assert "cannot be read as DOCX" in error.messages[0]


def test_pdf_renamed_odt_is_refused():
    error = refusal("cv.odt", cv_files.make_pdf())
    assert error.code == "cv_content"


def test_docx_renamed_odt_is_refused():
    error = refusal("cv.odt", cv_files.make_docx())
    assert error.code == "cv_content"


def test_docx_zip_bomb_is_refused_by_its_declared_size_without_reading_a_member(docx_zip_bomb):
    assert len(docx_zip_bomb) < 1024 * 1024  # small on the wire, 200 MiB once inflated
    upload, recorder = recorded_upload("cv.docx", docx_zip_bomb)

    with pytest.raises(ValidationError) as caught:
        validate_cv_file(upload)

    assert caught.value.code == "cv_zip_bomb"
    members = members_on_disk(docx_zip_bomb)
    assert {name: recorder.bytes_read_within(span) for name, span in members.items()} == dict.fromkeys(members, 0)
    # Only the directory after the members was read: a few hundred bytes of an archive of some 200 KiB.
    assert recorder.bytes_read_within(range(len(docx_zip_bomb))) < len(docx_zip_bomb) // 100


def test_xml_entity_bomb_docx_is_never_parsed():
    data = cv_files.make_xml_entity_bomb_docx()
    upload, recorder = recorded_upload("cv.docx", data)

    # The validator reads only the ZIP directory, so the bomb's XML is never expanded: it passes as a
    # well-formed DOCX container without one byte of the document being read.
    validate_cv_file(upload)

    assert recorder.bytes_read_within(members_on_disk(data)["word/document.xml"]) == 0


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
