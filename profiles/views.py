"""Profile pages: the home page, view, edit, and download your own CV."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView, UpdateView

from accounts import language
from accounts.cv import CVStorageUnavailable
from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest

from .downloads import cv_download_response
from .forms import ProfileForm


class HomeView(TemplateView):
    """What the site is for, to a visitor; a signed-in person has nothing to do here and goes to their profile."""

    template_name = "home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("profile")
        return super().get(request, *args, **kwargs)


class ProfileView(LoginRequiredMixin, TemplateView):
    request: AuthenticatedHttpRequest
    template_name = "profiles/profile.html"


class ProfileEditView(LoginRequiredMixin, UpdateView[User, ProfileForm]):
    request: AuthenticatedHttpRequest
    form_class = ProfileForm
    template_name = "profiles/edit.html"
    success_url = reverse_lazy("profile")

    def get_object(self, queryset: QuerySet[User] | None = None) -> User:
        return self.request.user

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        try:
            self.object = form.save()
        except CVStorageUnavailable as fault:
            form.add_error("cv", str(fault))
            return self.form_invalid(form)
        # A new language speaks at once: this message, and the cookie that keeps it once the person logs out.
        response = HttpResponseRedirect(self.get_success_url())
        language.speak(self.request, response, self.object.language)
        messages.success(self.request, gettext("Your profile was saved."))
        return response

    def form_invalid(self, form: ProfileForm) -> HttpResponse:
        messages.error(self.request, gettext("Your profile was not saved. Please correct the errors below."))
        return super().form_invalid(form)


@login_required
@require_GET
def cv_download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    return cv_download_response(request.user)
