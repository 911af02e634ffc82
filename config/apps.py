"""App configuration that is wiring only: which static files a release collects."""

from django.contrib.staticfiles.apps import StaticFilesConfig


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
