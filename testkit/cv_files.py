"""Real, minimal CV files (and hostile look-alikes) as bytes, for unit and end-to-end tests."""

import io
import zipfile

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compression in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def make_pdf() -> bytes:
    return PDF_BYTES


def make_docx() -> bytes:
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    document = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Curriculum vitae</w:t></w:r></w:p></w:body>'
        b"</w:document>"
    )
    return _zip(
        [
            ("[Content_Types].xml", content_types, zipfile.ZIP_DEFLATED),
            ("_rels/.rels", b'<?xml version="1.0"?><Relationships/>', zipfile.ZIP_DEFLATED),
            ("word/document.xml", document, zipfile.ZIP_DEFLATED),
        ]
    )


def make_odt() -> bytes:
    manifest = b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest/>'
    content = b'<?xml version="1.0" encoding="UTF-8"?><office:document-content/>'
    return _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
        ]
    )


def make_plain_zip() -> bytes:
    return _zip([("notes.txt", b"not a word document", zipfile.ZIP_DEFLATED)])


def make_docx_zip_bomb(uncompressed_bytes: int = 200 * 1024 * 1024) -> bytes:
    """A DOCX-shaped archive whose document member inflates to far more than any CV."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(uncompressed_bytes // len(block)):
                member.write(block)
    return buffer.getvalue()


def make_xml_entity_bomb_docx() -> bytes:
    """A DOCX whose document is a billion-laughs XML bomb: it must be refused or accepted unparsed."""
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    for level in range(1, 10):
        previous = b"lol" if level == 1 else f"lol{level - 1}".encode()
        lol += f'<!ENTITY lol{level} "'.encode() + (b"&" + previous + b";") * 10 + b'">'
    lol += b"]><w:document>&lol9;</w:document>"
    return _zip(
        [
            ("[Content_Types].xml", b"<Types/>", zipfile.ZIP_DEFLATED),
            ("word/document.xml", lol, zipfile.ZIP_DEFLATED),
        ]
    )
