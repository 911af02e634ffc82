"""URLs under /profile/: the CV's download (the profile and its form are wired in config/urls.py, which keeps
their pages per version of the person)."""

from django.urls import path

from . import views

urlpatterns = [
    path("cv/", views.cv_download, name="profile_cv"),
]
