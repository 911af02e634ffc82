"""The profiles app.

Owns: the pages a person sees and edits: the home page, the profile, its edit form (names, language, the CV), and
the CV's HTTP side (``profiles.downloads``: the download for its owner, and for staff in the admin).

May import: ``accounts`` (and what accounts builds on), Django and crispy-forms. Nothing imports profiles but
``config``'s URLs.
"""

from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "profiles"
