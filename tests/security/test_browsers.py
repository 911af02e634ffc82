"""Browser names in the reader's language: one stored (English) form, shown "Firefox auf Linux" to a German reader,
and a new security key's default name in the language of the page that adds it."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from security.browsers import device_name, translated_browser_name, translated_browser_name_lazy

pytestmark = pytest.mark.any_database


ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
    "Safari/537.36"
)


@pytest.mark.parametrize(
    ("stored", "english", "german"),
    [
        ("Firefox on Linux", "Firefox on Linux", "Firefox auf Linux"),
        ("Chrome on Android", "Chrome on Android", "Chrome auf Android"),
        ("Unknown browser", "Unknown browser", "Unbekannter Browser"),
        ("Unknown browser on Windows", "Unknown browser on Windows", "Unbekannter Browser auf Windows"),
        ("Android browser on Android", "Android browser on Android", "Android-Browser auf Android"),
        ("curl", "curl", "curl"),
    ],
)
def test_a_stored_name_reads_in_the_readers_language(stored, english, german):
    with translation.override("en"):
        assert translated_browser_name(stored) == english
    with translation.override("de"):
        assert translated_browser_name(stored) == german


@pytest.mark.parametrize(
    "stored", ["Call 555-0100 Bot on Linux", "Firefox on Scam OS", "Your account is locked", "Firefox on Linux on iOS"]
)
def test_a_stored_value_that_is_no_name_of_the_sites_is_an_unknown_browser(stored):
    with translation.override("de"):
        assert translated_browser_name(stored) == "Unbekannter Browser"


def test_a_lazy_name_is_put_into_the_language_it_is_rendered_in():
    name = translated_browser_name_lazy("Safari on iOS")
    with translation.override("de"):
        assert str(name) == "Safari auf iOS"
    with translation.override("en"):
        assert str(name) == "Safari on iOS"


def test_a_new_keys_default_name_is_the_device_in_the_pages_language():
    request = RequestFactory().get("/", HTTP_USER_AGENT=ANDROID_CHROME)
    with translation.override("en"):
        assert device_name(request) == "Chrome on Android"
    with translation.override("de"):
        assert device_name(request) == "Chrome auf Android"
