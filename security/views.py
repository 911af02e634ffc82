"""Security pages of one's own account: the activity of the last 90 days, and the signed-in sessions (allauth's page,
each session by its browser's and place's names, each with its own "Log out")."""

from typing import Any

from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from allauth.usersessions.views import ListUserSessionsView
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext
from django.views import View
from django.views.generic import ListView

from . import activity
from .browsers import name_of_user_agent, translated_browser_name
from .models import SecurityEvent


class ActivityView(LoginRequiredMixin, ListView[SecurityEvent]):
    """The person's security activity of the last 90 days, newest first."""

    template_name = "security/activity.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[SecurityEvent]:
        return activity.recent_events(user=self.request.user)  # type: ignore[arg-type]  # LoginRequiredMixin: signed in


class SessionListView(ListUserSessionsView):
    """allauth's sessions page and its "Log out other sessions", this browser's session first, then the most recently
    active."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sessions"] = sorted(
            context["sessions"], key=lambda session: (not session.is_current(), -session.last_seen_at.timestamp())
        )
        return context


class EndSessionView(LoginRequiredMixin, View):
    """Log out one of the person's other sessions (POST): theirs only, never this browser's own (the navigation's
    "Log out" is for that); recorded in their activity as "Log out other sessions" is (security/adapter.py)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        others = UserSession.objects.filter(user_id=request.user.pk).exclude(session_key=request.session.session_key)
        session = get_object_or_404(others, pk=pk)
        get_usersessions_adapter().end_sessions([session])
        browser = translated_browser_name(name_of_user_agent(session.user_agent))
        messages.success(request, gettext("The session in %(browser)s was logged out.") % {"browser": browser})
        return redirect("usersessions_list")
