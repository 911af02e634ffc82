"""The CV rules the edit page hands to its upload script: the server's own limit, types and words, never a copy."""

import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.validators import CV_EXTENSIONS, CV_MEDIA_TYPES
from testkit import cv_files
from testkit.forms import field_error

LIMIT = 2048


class ElementAttributes(HTMLParser):
    """The attributes of every element of a page that has an id, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes


def attributes_on(page: str, element_id: str) -> dict[str, str]:
    parser = ElementAttributes()
    parser.feed(page)
    return parser.by_id[element_id]


def fill(template: str, **values: str) -> str:
    """Fill in ``%(name)s`` as static/js/cv-upload.js does: only the placeholders given."""
    return re.sub(r"%\((\w+)\)s", lambda match: values.get(match[1], match[0]), template)


def edit_page(client: Client, **headers: str) -> str:
    response = client.get("/profile/edit/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def server_refusal(client: Client, name: str, data: bytes, **headers: str) -> str:
    fields = {"first_name": "", "last_name": "", "cv": SimpleUploadedFile(name, data)}
    response = client.post("/profile/edit/", fields, headers=headers)
    assert response.status_code == 200
    return field_error(response.content.decode(), "cv")


@pytest.fixture
def signed_in(client: Client, user, settings) -> Client:
    settings.CV_MAX_UPLOAD_BYTES = LIMIT
    client.force_login(user)
    return client


def test_the_cv_input_carries_the_limit_and_the_types_the_server_accepts(signed_in):
    cv_input = attributes_on(edit_page(signed_in), "id_cv")
    assert cv_input["data-cv-max-bytes"] == str(LIMIT)
    assert cv_input["data-cv-extensions"].split() == list(CV_EXTENSIONS)
    assert cv_input["accept"].split(",") == [*(f".{extension}" for extension in CV_EXTENSIONS), *CV_MEDIA_TYPES]


def test_the_limit_on_the_page_follows_the_setting(signed_in, settings):
    settings.CV_MAX_UPLOAD_BYTES = 3 * 1024 * 1024
    cv_input = attributes_on(edit_page(signed_in), "id_cv")
    assert cv_input["data-cv-max-bytes"] == str(3 * 1024 * 1024)
    assert cv_input["data-cv-too-large"] == "The file is too large: a CV can be at most 3.0\xa0MB."


# Files the browser refuses by itself, the attribute holding its words, and what the script fills in.
BROWSER_REFUSALS = {
    "wrong extension": ("cv.exe", cv_files.EXE_BYTES, "data-cv-wrong-extension", {"extension": ".exe"}),
    "upper-case wrong extension": ("CV.HTML", cv_files.HTML_BYTES, "data-cv-wrong-extension", {"extension": ".html"}),
    "empty": ("cv.pdf", b"", "data-cv-empty", {}),
    "too large": ("cv.pdf", cv_files.make_pdf().ljust(LIMIT + 1), "data-cv-too-large", {}),
    "not a PDF inside": ("cv.pdf", cv_files.EXE_BYTES, "data-cv-wrong-content", {"kind": "PDF"}),
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    ("name", "data", "attribute", "filled_in"), BROWSER_REFUSALS.values(), ids=BROWSER_REFUSALS.keys()
)
def test_the_browser_refuses_in_the_servers_words(signed_in, language, name, data, attribute, filled_in):
    headers = {"Accept-Language": language}
    cv_input = attributes_on(edit_page(signed_in, **headers), "id_cv")
    said_by_the_browser = fill(cv_input[attribute], **filled_in)
    assert said_by_the_browser == server_refusal(signed_in, name, data, **headers)


def test_a_name_without_extension_is_refused_in_the_servers_words(signed_in):
    cv_input = attributes_on(edit_page(signed_in), "id_cv")
    said_by_the_browser = fill(cv_input["data-cv-wrong-extension"], extension=cv_input["data-cv-no-extension"])
    assert said_by_the_browser == server_refusal(signed_in, "curriculum", cv_files.make_pdf())


def test_the_scripts_own_words_are_on_the_field_with_a_placeholder_for_the_name(signed_in):
    field = attributes_on(edit_page(signed_in), "div_id_cv")
    assert "data-cv-upload" in field
    assert field["data-cv-text-chosen"] == "Chosen: %(name)s"
    assert field["data-cv-text-uploading"] == "Uploading %(name)s…"
    assert field["data-cv-text-cancelled"] == "Upload cancelled. Your CV was not changed."


def test_the_edit_page_loads_the_upload_script_from_static_files(signed_in):
    page = edit_page(signed_in)
    assert re.search(r'<script src="/static/js/cv-upload\.js" defer></script>', page)
    assert "<script>" not in page
