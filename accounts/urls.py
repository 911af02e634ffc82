"""URLs of accounts' own pages; allauth's are included beside these under /accounts/."""

from django.urls import path

from . import views

urlpatterns = [
    path("delete/", views.DeleteAccountView.as_view(), name="account_delete"),
    path("delete/scheduled/", views.ScheduledDeletionView.as_view(), name="account_deletion_scheduled"),
    path("export/", views.export_view, name="account_export"),
    path("export/started/", views.export_started_view, name="account_export_started"),
    # allauth's own addresses, answered by its views made to let an unfinished log-in go (accounts/views.py).
    path("login/code/", views.request_login_code, name="account_request_login_code"),
    path("confirm-email/resend/", views.resend_verification_email, name="account_resend_verification_email"),
]
