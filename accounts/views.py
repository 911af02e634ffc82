"""Account views: allauth's ways in that never trap, deletion and its grace period, the data export, and the language
switch."""

from typing import Any

from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.email_verification import send_verification_email_at_login
from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from allauth.account.internal.stagekit import clear_login, unstash_login
from allauth.account.stages import LoginStage
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language

from . import language
from .deletion import cancel_account_deletion, delete_account, deletion_grace_period, schedule_account_deletion
from .export import stream_export_zip
from .forms import DeleteAccountForm, ScheduledDeletionForm
from .models import User
from .requests import AuthenticatedHttpRequest

DELETED_MESSAGE = gettext_lazy("Your account has been deleted.")


# --- The ways in: a log-in left half-way never traps ----------------------------------------------------------------


class LeavesAnUnfinishedLogInBehind:
    """A person who goes to the log-in page (the navbar's "Log in", a page that needs a log-in) gets the log-in page.

    allauth sends them back to any step of a log-in they started in this browser and did not finish (the emailed code,
    the second factor), so that once a code was asked for, only that page's Cancel led out. Going to the page is
    leaving that step, as allauth's own sign-up page already treats it: the unfinished log-in is dropped (with the
    proof of any step it passed), and the page is shown.
    """

    def _redirect_to_pending_stage(self, request: HttpRequest, stage: LoginStage) -> None:
        clear_login(request)
        return None


class LoginView(LeavesAnUnfinishedLogInBehind, allauth_views.LoginView):
    """allauth's log-in page (``/accounts/login/``)."""


class RequestLoginCodeView(LeavesAnUnfinishedLogInBehind, allauth_views.RequestLoginCodeView):
    """allauth's "Email me a log-in code" page (``/accounts/login/code/``): a new code, not the last one's page."""


login = LoginView.as_view()
request_login_code = RequestLoginCodeView.as_view()


@require_POST
def resend_verification_email(request: HttpRequest) -> HttpResponse:
    """ "Resend the email" on "Verify your email address": the email the sign-up (or the log-in of an unverified
    account) sent, once more, as allauth sends it, within its cooldown for the address (a few minutes).

    For an address that already had an account, allauth's sign-up sent "an account already exists" instead, and that
    is what is sent again: the page answers the same either way, and tells nobody which it was.
    """
    pending = unstash_login(request, peek=True)
    if pending is None or request.user.is_authenticated:
        messages.info(request, gettext("Log in with your email address and password to get a new email."))
        return redirect("account_login")
    if send_verification_email_at_login(request, pending):
        messages.success(request, gettext("We have sent the email again. It can take a few minutes to arrive."))
    else:
        messages.info(
            request,
            gettext("We sent it a moment ago: give it a few minutes to arrive. Then you can ask for it once more."),
        )
    return redirect("account_email_verification_sent")


def deleted_response(request: HttpRequest) -> HttpResponse:
    """Signed out, on the home page, told so.

    The account is gone, deleted by this request or a moment before by another (a second "Delete now", the task):
    the session is emptied as ``logout`` empties it, without its signal, whose receivers would record a sign-out
    against an account that no longer exists.
    """
    request.session.flush()
    request.user = AnonymousUser()
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
            % {"day": date_format(timezone.localtime(due_at))},
        )
        return redirect("home")


def deletes_now(request: HttpRequest) -> bool:
    return request.POST.get("action") == ScheduledDeletionForm.NOW


# "Delete now" asks, as the deletion page does, for any way the account can confirm it is the person: signing in
# again is not enough (an emailed log-in code proves only the mailbox, and a session may have been left open).
# The post is kept meanwhile and carried out once confirmed. "Keep my account" loses nothing: one click.
@method_decorator(reauthentication_required(enabled=deletes_now), name="post")
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
            return deleted_response(self.request)  # the scheduled deletion ran a moment before
        messages.success(self.request, gettext("Your account will not be deleted. Welcome back."))
        return redirect("profile")


@login_required
@require_GET
@never_cache
def export_view(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The person's data as a ZIP; while the CV's storage is down, the site's 503 page (it is opened first).

    Everything the account holds, in one file: the person confirms it is them first. Asked for without a fresh
    confirmation, it goes by the page that says the download has started, so that the confirmation leads there and
    not to a file alone, which would leave the confirmation form on the screen.
    """
    if is_reauthentication_required(request, app=""):
        return redirect("account_export_started")
    response = StreamingHttpResponse(stream_export_zip(user=request.user), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export_file_name())
    return response


@login_required
@require_GET
@reauthentication_required
@never_cache
def export_started_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Your download has started": the page the export leads to (the account navigation's "Export your data", and
    the confirmation before it), which starts the download of ``/accounts/export/`` (static/js/start-download.js)
    and says what is in it, with a link to start it again and the way back."""
    return render(request, "accounts/export_started.html", {"file_name": export_file_name()})


def export_file_name() -> str:
    return f"my-data-{timezone.localdate():%Y-%m-%d}.zip"


def set_language(request: HttpRequest) -> HttpResponseBase:
    """Django's ``set_language`` (the cookie, the redirect), and for a signed-in person the choice saved on their
    account too, so that the site and every email to them speak it on any browser."""
    response = django_set_language(request)
    if request.method == "POST":
        language.save_choice(request.user, request.POST.get(LANGUAGE_QUERY_PARAMETER, ""))
    return response
