"""App configuration that is wiring only: which static files a release collects, and the cache tables migrate makes."""

import os
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.staticfiles.apps import StaticFilesConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


class SiteStaticFilesConfig(StaticFilesConfig):
    # django-bootstrap-static ships every Bootstrap build (RTL, unminified, ESM, its own jQuery); the site uses
    # bootstrap.min.css and bootstrap.bundle.min.js. Skipping the rest makes collectstatic 3x faster.
    #
    # collectstatic matches each pattern against a file's base name *and* its path in its app's static folder
    # (django.contrib.staticfiles.utils.get_files). A pattern with a folder in it can only match the path, so
    # anchoring every one to "bootstrap/" keeps them off every other app's files: an unanchored "jquery*" once
    # dropped the admin's own admin/js/vendor/jquery/ and every admin form page answered 500.
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "bootstrap/css/*.rtl.*",
        "bootstrap/css/bootstrap-grid.*",
        "bootstrap/css/bootstrap-reboot.*",
        "bootstrap/css/bootstrap-utilities.*",
        "bootstrap/css/bootstrap.css*",
        "bootstrap/js/bootstrap.js*",
        "bootstrap/js/bootstrap.min.js*",
        "bootstrap/js/bootstrap.esm.*",
        "bootstrap/js/bootstrap.bundle.js*",
        "bootstrap/js/jquery.*",
    ]


def create_cache_tables(using: str, verbosity: int = 1, **kwargs: Any) -> None:
    """Rate limits need their cache before the first request, and ``/healthz/`` its table to write: ``migrate``
    creates every database cache's table."""
    call_command("createcachetable", database=using, verbosity=verbosity)


class SiteConfig(AppConfig):
    """The site's own wiring, as an app: the deploy checks of its settings, the cache tables, the upload folder."""

    name = "config"
    label = "site"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)

        # allauth's rate-limit counters live in the cache: its table is made when allauth's account app is migrated.
        post_migrate.connect(
            create_cache_tables, sender=apps.get_app_config("account"), dispatch_uid="site.create_cache_tables"
        )
        # Django's checks (every manage.py command) refuse an upload folder that does not exist; a fresh clone,
        # `make run` and a new machine have none yet.
        if settings.FILE_UPLOAD_TEMP_DIR:
            os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, mode=0o700, exist_ok=True)
