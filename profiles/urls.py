"""URLs under /profile/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ProfileView.as_view(), name="profile"),
    path("edit/", views.ProfileEditView.as_view(), name="profile_edit"),
    path("cv/", views.cv_download, name="profile_cv"),
]
