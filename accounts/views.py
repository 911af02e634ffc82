"""Account views: deletion, data export and the health check."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from .cv import CVStorageUnavailable, private_download, storage_unavailable_response
from .forms import DeleteAccountForm
from .requests import AuthenticatedHttpRequest
from .services import delete_account, stream_export_zip


class DeleteAccountView(LoginRequiredMixin, FormView):
    request: AuthenticatedHttpRequest
    template_name = "accounts/delete.html"
    form_class = DeleteAccountForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: DeleteAccountForm) -> HttpResponse:
        delete_account(user=self.request.user)
        logout(self.request)
        messages.success(self.request, "Your account has been deleted.")
        return redirect("home")


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
