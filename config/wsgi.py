"""WSGI entry point: gunicorn serves ``config.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn imports this module in its master (preload_app): the pages that are the same for every signed-out
# visitor are rendered here once, and every worker forked from it starts with them.
from accounts.page_cache import warm_up  # noqa: E402 - needs the apps loaded above

warm_up(application)
