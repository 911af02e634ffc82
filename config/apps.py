"""App configuration that is wiring only: which static files a release collects."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class SiteStaticFilesConfig(StaticFilesConfig):
    # django-bootstrap-static ships every Bootstrap build (RTL, unminified, ESM, jQuery); the site uses
    # bootstrap.min.css and bootstrap.bundle.min.js. Skipping the rest makes collectstatic 3x faster.
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "*.rtl.*",
        "bootstrap-grid*",
        "bootstrap-reboot*",
        "bootstrap-utilities*",
        "bootstrap.css*",
        "bootstrap.js*",
        "bootstrap.min.js*",
        "bootstrap.esm*",
        "bootstrap.bundle.js*",
        "jquery*",
    ]
