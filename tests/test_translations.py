"""The German catalog is complete and in use: every string the sources mark for translation is in locale/de, translated,
none fuzzy, with its placeholders kept; the compiled catalog is the one Django serves; and the hand-kept overrides of
allauth's wording (locale_overrides/) win over allauth's own catalogs and are never touched by makemessages.

When a test here fails after you added or changed a string: `make translations`, translate the new or fuzzy entries
of locale/de/LC_MESSAGES/django.po, then `make messages`."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.any_database


PROJECT = Path(settings.BASE_DIR)
CATALOG = PROJECT / "locale" / "de" / "LC_MESSAGES" / "django.po"
OVERRIDES = PROJECT / "locale_overrides"
# What makemessages must not read (the Makefile's `translations` target ignores the same).
NOT_SOURCES = {".git", ".venv", ".tools", "node_modules", "e2e", "tests", "bench", "testkit", "staticfiles", "media"}
SKIPPED_WHEN_COPYING = NOT_SOURCES | {".pytest_cache", ".ruff_cache", "e2e-artifacts", "docs", ".ci", "db.sqlite3"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def committed() -> polib.POFile:
    return polib.pofile(str(CATALOG))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> tuple[polib.POFile, Path]:
    """The catalog `make translations` would write now, made in a copy of the project (the real one is left alone)."""
    copy = tmp_path_factory.mktemp("project")
    skip_at_top = shutil.ignore_patterns("__pycache__", "*.mo")

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = {name for name in names if Path(directory) == PROJECT and name in SKIPPED_WHEN_COPYING}
        return top | set(skip_at_top(directory, names))

    shutil.copytree(PROJECT, copy, ignore=ignore, dirs_exist_ok=True)
    ignores = [argument for name in sorted(NOT_SOURCES) for argument in ("--ignore", name)]
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-obsolete", *ignores],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")), copy


def test_every_string_the_sources_mark_is_in_the_german_catalog(extracted):
    catalog, _ = extracted
    missing = {key(entry) for entry in catalog} - {key(entry) for entry in committed()}
    new = sorted(entry.msgid for entry in catalog if key(entry) in missing or not entry.translated())
    assert new == [], "not in locale/de yet: run `make translations` and translate them"


def test_the_german_catalog_has_no_entry_the_sources_no_longer_use(extracted):
    catalog, _ = extracted
    unused = {key(entry) for entry in committed()} - {key(entry) for entry in catalog}
    assert sorted(msgid for _, msgid in unused) == [], "no longer in the sources: run `make translations`"


def test_every_german_entry_is_translated_and_none_is_fuzzy():
    catalog = committed()
    assert [entry.msgid for entry in catalog.untranslated_entries()] == []
    assert [entry.msgid for entry in catalog.fuzzy_entries()] == []
    assert not catalog.metadata_is_fuzzy


def test_every_german_entry_keeps_the_placeholders_of_its_english(tmp_path):
    for entry in committed():
        for translated in [entry.msgstr, *entry.msgstr_plural.values()]:
            if translated:
                assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_the_compiled_german_catalog_is_the_one_in_use():
    """A stale or missing .mo (`make messages` not run after editing the .po) serves English or old German."""
    overridden = {key(entry) for entry in polib.pofile(str(OVERRIDES / "de" / "LC_MESSAGES" / "django.po"))}
    with translation.override("de"):
        for entry in committed():
            if entry.msgid_plural or key(entry) in overridden:
                continue
            served = (
                translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else translation.gettext(entry.msgid)
            )
            assert served == entry.msgstr, f"{entry.msgid!r}: run `make messages`"


def test_makemessages_never_touches_the_overrides(extracted):
    _, copy = extracted
    originals = sorted(path.relative_to(PROJECT) for path in OVERRIDES.rglob("*") if path.suffix != ".mo")
    after = sorted(path.relative_to(copy) for path in (copy / OVERRIDES.name).rglob("*"))
    assert after == originals
    for path in originals:
        if path.suffix == ".po":
            assert (copy / path).read_bytes() == (PROJECT / path).read_bytes()


def test_the_overrides_come_first_and_win_over_allauths_catalogs():
    assert settings.LOCALE_PATHS[0] == OVERRIDES
    with translation.override("en"):
        assert translation.gettext("Sign In") == "Log in"
        assert translation.gettext("Sign Up") == "Sign up"
        assert translation.gettext("Sign Out") == "Log out"
    with translation.override("de"):
        assert translation.gettext("Please Confirm Your Email Address") == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
