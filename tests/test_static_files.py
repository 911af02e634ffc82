"""Static files in production: every file a template or an admin page asks for is in collectstatic's manifest."""

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.apps import StaticFilesConfig
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.management import call_command
from django.forms import Media
from django.template import engines
from django.test import RequestFactory, override_settings

from accounts.models import User
from config.apps import SiteStaticFilesConfig

pytestmark = pytest.mark.any_database


PRODUCTION_STATICFILES = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
# `{% static "admin/css/base.css" %}` or with single quotes: a literal path (a variable cannot be checked here).
STATIC_TAG = re.compile(r"""\{%\s*static\s+(["'])(?P<path>[^"']+)\1""")


@pytest.fixture(scope="module")
def manifest_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManifestStaticFilesStorage]:
    """``collectstatic`` as a release runs it (the production storage, debug off), into a folder of its own."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    storages = {**settings.STORAGES, "staticfiles": PRODUCTION_STATICFILES}
    with override_settings(STATIC_ROOT=static_root, STORAGES=storages, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        # Only what collectstatic wrote: a name missing from its manifest raises, as it does in production.
        yield ManifestStaticFilesStorage(location=static_root)


def template_dirs() -> list[Path]:
    """Every folder the template loaders search: the project's and each installed app's."""
    folders = []
    for engine in engines.all():
        for loader in engine.engine.template_loaders:
            folders.extend(Path(folder) for folder in loader.get_dirs())
    return folders


def renders_for_an_app_not_installed(template: Path, folder: Path) -> bool:
    """allauth keeps each sub-app's templates in its own folder of one package (``allauth/templates/mfa/``).

    Those of a sub-app the site does not install (its views are not routed) can never be rendered. Only an
    installed app's own templates folder is looked at this way, never the project's (whatever its checkout is called).
    """
    owners = [config.name for config in apps.get_app_configs() if Path(config.path) / "templates" == folder]
    if not owners:
        return False
    sub_app = template.relative_to(folder).parts[0]
    package = owners[0]
    sub_package = importlib.util.find_spec(f"{package}.{sub_app}")
    if sub_package is None or sub_package.submodule_search_locations is None:
        return False
    is_app = importlib.util.find_spec(f"{package}.{sub_app}.apps") is not None
    return is_app and not apps.is_installed(f"{package}.{sub_app}")


def static_references() -> dict[str, list[str]]:
    """``{path: [templates that ask for it]}`` for every literal ``{% static %}`` in a template Django can render."""
    references: dict[str, list[str]] = {}
    for folder in template_dirs():
        for template in folder.rglob("*"):
            if not template.is_file() or renders_for_an_app_not_installed(template, folder):
                continue
            text = template.read_text(errors="replace")
            for match in STATIC_TAG.finditer(text):
                references.setdefault(match["path"], []).append(str(template))
    return references


def admin_media_paths() -> list[str]:
    """The static files the site's admin pages ask for through ``Media``: each ModelAdmin, its forms, its actions."""
    request = RequestFactory().get("/admin/")
    request.user = User(email="admin@example.com", is_staff=True, is_superuser=True, is_active=True)
    media = Media()
    for model, model_admin in admin.site._registry.items():
        media += model_admin.media + model_admin.action_form().media
        for obj in (None, model()):  # the add form, then the change form
            media += model_admin.get_form(request, obj)().media
    paths = [*media._js, *(path for medium in media._css.values() for path in medium)]
    return sorted({str(path) for path in paths if not str(path).startswith(("http://", "https://", "/"))})


def missing_from(storage: ManifestStaticFilesStorage, paths: list[str]) -> list[str]:
    missing = []
    for path in paths:
        try:
            storage.stored_name(path)
        except ValueError:
            missing.append(path)
    return missing


def test_templates_refer_to_static_files_that_collectstatic_keeps(manifest_storage):
    references = static_references()
    assert "admin/css/base.css" in references, "the admin's templates were not searched"
    assert "bootstrap/css/bootstrap.min.css" in references, "the site's templates were not searched"

    missing = missing_from(manifest_storage, sorted(references))

    assert not missing, "\n".join(f"{path}, asked for by {references[path]}" for path in missing)


@pytest.mark.django_db
def test_admin_pages_ask_only_for_static_files_that_collectstatic_keeps(manifest_storage):
    paths = admin_media_paths()
    assert "admin/js/vendor/jquery/jquery.min.js" in paths, "the admin's own Media was not read"

    assert missing_from(manifest_storage, paths) == []


def test_the_site_skips_only_bootstrap_builds_it_does_not_use():
    """The ignore list slims django-bootstrap-static down; it must never touch another app's files."""
    bootstrap_folder = Path(apps.get_app_config("bootstrap").path) / "static"
    django_patterns = StaticFilesConfig.ignore_patterns
    site_patterns = SiteStaticFilesConfig.ignore_patterns
    skipped, kept_bootstrap = [], []
    for finder in finders.get_finders():
        kept = {(path, storage.location) for path, storage in finder.list(site_patterns)}
        for path, storage in finder.list(django_patterns):
            if (path, storage.location) not in kept:
                skipped.append((path, Path(storage.location)))
            elif Path(storage.location) == bootstrap_folder and not path.endswith(".map"):
                kept_bootstrap.append(path)

    assert skipped, "the ignore list skips nothing"
    assert [path for path, location in skipped if location != bootstrap_folder] == []
    assert sorted(kept_bootstrap) == ["bootstrap/css/bootstrap.min.css", "bootstrap/js/bootstrap.bundle.min.js"]
