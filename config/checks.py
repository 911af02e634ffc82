"""Deployment checks of the settings (run by ``check --deploy``)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

IMMEDIATE_BACKEND = "django_tasks.backends.immediate.ImmediateBackend"


@checks.register(checks.Tags.security, deploy=True)
def check_task_backend(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A site serving people runs its tasks in the database, with the worker beside it."""
    if settings.TASKS["default"]["BACKEND"] != IMMEDIATE_BACKEND:
        return []
    return [
        checks.Warning(
            "DJANGO_TASKS_BACKEND is 'immediate': every email is sent inside the request that causes it (a slow or "
            "down mail server slows every sign-up and reset, and how long a sign-up takes tells whether the address "
            "has an account), failed sends are never retried, and a deletion cannot wait out its grace period.",
            hint="Set DJANGO_TASKS_BACKEND=database and run `manage.py task_worker` beside the site (make worker).",
            id="site.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Emails sent outside a request (the welcome email) link to SITE_URL: it must be the public site."""
    url = urlsplit(settings.SITE_URL)
    if url.scheme == "https" and url.hostname and url.hostname not in ("127.0.0.1", "localhost", "::1"):
        return []
    # Information, not a warning: the documented `check --deploy --fail-level WARNING` must stay clean for a
    # node that only serves requests (they build links from the request), yet the operator should see it.
    return [
        checks.Info(
            f"SITE_URL is {settings.SITE_URL!r}: links in emails sent outside a request would point there.",
            hint="Set SITE_URL to the site's public https:// address, e.g. https://cv.example.org.",
            id="site.I001",
        )
    ]
