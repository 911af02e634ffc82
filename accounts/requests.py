"""The request a signed-in page receives: its ``user`` is the site's ``User`` (for type checking)."""

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """``request.user`` behind ``login_required``/``LoginRequiredMixin``: never the anonymous user."""

    user: User
