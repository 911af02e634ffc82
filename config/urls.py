"""Root URLs: wiring only."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.views import healthz, set_language

# The admin has no log-in of its own: /admin/login/ goes through allauth's, with its rate limits.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Signals Site administration"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("profiles.urls")),
    path("admin/", admin.site.urls),
    # Django's set_language, which also saves a signed-in person's choice on their account.
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz/", healthz, name="healthz"),
]
