"""Account views: deletion, data export, the private CV download, and the health check."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, connection
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from .forms import DeleteAccountForm
from .models import User
from .services import delete_account, stream_export_zip

PRESIGNED_URL_SECONDS = 60


def private_download(response: HttpResponse) -> HttpResponse:
    """Mark a personal download: never cached by shared caches, never sniffed, always an attachment."""
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def cv_download_response(user: User) -> HttpResponse:
    """Stream the user's CV (or, on object storage, redirect to a short-lived signed URL)."""
    if not user.cv:
        raise Http404("No CV uploaded.")
    storage, name = user.cv.storage, user.cv.name
    if not isinstance(storage, FileSystemStorage):
        disposition = content_disposition_header(as_attachment=True, filename=user.cv_original_name)
        url = storage.url(name, parameters={"ResponseContentDisposition": disposition}, expire=PRESIGNED_URL_SECONDS)
        return private_download(HttpResponseRedirect(url))
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as error:
        raise Http404("The CV file is missing.") from error
    return private_download(FileResponse(handle, as_attachment=True, filename=user.cv_original_name))


class DeleteAccountView(LoginRequiredMixin, FormView):
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
@never_cache
@require_GET
def export_view(request: HttpRequest) -> HttpResponse:
    filename = f"my-data-{timezone.localdate():%Y-%m-%d}.zip"
    response = StreamingHttpResponse(stream_export_zip(user=request.user), content_type="application/zip")
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
        response._has_been_logged = True
        return response
    return JsonResponse({"status": "ok"})
