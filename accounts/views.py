"""Account views: deletion and its grace period, security activity, data export, the health check and the 500 page."""

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template import loader
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET
from django.views.generic import FormView, ListView
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language

from . import activity
from .cv import CVStorageUnavailable, private_download, storage_unavailable_response
from .forms import DeleteAccountForm, ScheduledDeletionForm
from .models import SecurityEvent, User
from .requests import AuthenticatedHttpRequest
from .services import (
    cancel_account_deletion,
    delete_account,
    deletion_grace_period,
    schedule_account_deletion,
    stream_export_zip,
)

DELETED_MESSAGE = gettext_lazy("Your account has been deleted.")


def deleted_response(request: HttpRequest) -> HttpResponse:
    """Signed out, on the home page, told so."""
    logout(request)
    messages.success(request, DELETED_MESSAGE)
    return redirect("home")


# Any way the account can confirm it is the person (password, authenticator app, passkey), within the last few
# minutes; the confirmation's own rate limit applies. The GET is protected too: the page is the decision.
@method_decorator(reauthentication_required, name="get")
@method_decorator(reauthentication_required, name="post")
class DeleteAccountView(LoginRequiredMixin, FormView):
    request: AuthenticatedHttpRequest
    template_name = "accounts/delete.html"
    form_class = DeleteAccountForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        grace_period = deletion_grace_period()
        return super().get_context_data(
            grace_period=grace_period, due_at=timezone.now() + grace_period if grace_period else None, **kwargs
        )

    def form_valid(self, form: DeleteAccountForm) -> HttpResponse:
        if form.cleaned_data["action"] == DeleteAccountForm.NOW:
            delete_account(user=self.request.user)
            return deleted_response(self.request)
        due_at = schedule_account_deletion(user=self.request.user, request=self.request)
        if due_at is None:  # no grace period: deleted at once
            return deleted_response(self.request)
        logout(self.request)
        messages.success(
            self.request,
            gettext(
                "Your account will be deleted on %(day)s. To keep it, log in before then and choose “Keep my account”. "
                "We have sent you an email about it."
            )
            % {"day": format_date(due_at, pgettext("date format in emails", "j F Y"))},
        )
        return redirect("home")


class ScheduledDeletionView(LoginRequiredMixin, FormView):
    """The one page a person whose account is due for deletion can see (accounts.middleware): keep it or delete now."""

    request: AuthenticatedHttpRequest
    template_name = "accounts/deletion_scheduled.html"
    form_class = ScheduledDeletionForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and getattr(user, "deletion_due_at", None) is None:
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: ScheduledDeletionForm) -> HttpResponse:
        if form.cleaned_data["action"] == ScheduledDeletionForm.NOW:
            delete_account(user=self.request.user)
            return deleted_response(self.request)
        user = self.request.user
        if (
            not cancel_account_deletion(user=user, request=self.request)
            and not User.objects.filter(pk=user.pk).exists()
        ):
            # The scheduled deletion ran a moment before: the account and its sessions are gone.
            self.request.session.flush()
            messages.success(self.request, DELETED_MESSAGE)
            return redirect("home")
        messages.success(self.request, gettext("Your account will not be deleted. Welcome back."))
        return redirect("profile")


class ActivityView(LoginRequiredMixin, ListView[SecurityEvent]):
    """The person's security activity of the last 90 days, newest first."""

    request: AuthenticatedHttpRequest
    template_name = "accounts/activity.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[SecurityEvent]:
        return activity.recent_events(user=self.request.user)


@login_required
@require_GET
@reauthentication_required  # everything the account holds, in one file: the person confirms it is them first
@never_cache
def export_view(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    filename = f"my-data-{timezone.localdate():%Y-%m-%d}.zip"
    try:
        chunks = stream_export_zip(user=request.user)
    except CVStorageUnavailable:
        return storage_unavailable_response(request)
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return private_download(response)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    """The 500 page, with the site's name and nothing else: whatever failed (the database?) is not asked again."""
    return HttpResponseServerError(loader.render_to_string("500.html", {"site_name": settings.SITE_NAME}))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers one trivial query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "unavailable"}, status=503)
        # A load balancer polls this: an outage is its news, not an error report per poll.
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag: skip log_response()
        return response
    return JsonResponse({"status": "ok"})


def set_language(request: HttpRequest) -> HttpResponseBase:
    """Django's ``set_language`` (the cookie, the redirect), and for a signed-in person the choice saved on their
    account too, so that the site and every email to them speak it on any browser."""
    response = django_set_language(request)
    language = request.POST.get(LANGUAGE_QUERY_PARAMETER, "")
    user = request.user
    if request.method == "POST" and isinstance(user, User) and language in dict(settings.LANGUAGES):
        if user.language != language:
            user.language = language
            user.save(update_fields=["language"])
    return response
