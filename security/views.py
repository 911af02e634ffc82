"""Security pages of one's own account: the activity of the last 90 days."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.views.generic import ListView

from . import activity
from .models import SecurityEvent


class ActivityView(LoginRequiredMixin, ListView[SecurityEvent]):
    """The person's security activity of the last 90 days, newest first."""

    template_name = "security/activity.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[SecurityEvent]:
        return activity.recent_events(user=self.request.user)  # type: ignore[arg-type]  # LoginRequiredMixin: signed in
