"""The profile form: names and the CV, rendered with crispy-bootstrap5."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from accounts.cv import clear_cv, replace_cv
from accounts.models import User
from accounts.time_zones import TimeZoneField
from accounts.validators import (
    CV_EXTENSIONS,
    CV_MEDIA_TYPES,
    EMPTY_FILE,
    cv_rules_for_browsers,
    describe_cv_rules,
    validate_cv_file,
)


class ProfileForm(forms.ModelForm):
    # Not a model field of this form: the form never puts an upload on the user; accounts.cv stores it on save.
    cv = forms.FileField(
        label=gettext_lazy("CV"),
        required=False,
        validators=[validate_cv_file],
        # The validator's words, not FileField's own: the browser refuses an empty file with them before sending it.
        error_messages={"empty": EMPTY_FILE},
        widget=forms.FileInput(attrs={"accept": ",".join([*(f".{ext}" for ext in CV_EXTENSIONS), *CV_MEDIA_TYPES])}),
    )
    remove_cv = forms.BooleanField(label=gettext_lazy("Remove my current CV"), required=False)

    class Meta:
        model = User
        fields = ("first_name", "last_name", "language", "time_zone")
        labels = {
            "first_name": gettext_lazy("First name"),
            "last_name": gettext_lazy("Last name"),
            "language": gettext_lazy("Language"),
            "time_zone": gettext_lazy("Time zone"),
        }
        help_texts = {
            "time_zone": gettext_lazy("Dates and times on this site and in our emails to you are shown in it."),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cv"].help_text = describe_cv_rules()
        # Read per form, in the request's language and with today's limit: static/js/cv-upload.js refuses with these.
        self.fields["cv"].widget.attrs.update(cv_rules_for_browsers())
        if not self.instance.cv:
            del self.fields["remove_cv"]
        # No blank choice: an account that has not chosen yet is shown (and saves) the language the page is in.
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = settings.LANGUAGES
        self.language_unsaved = not self.instance.language
        if self.language_unsaved:
            self.initial["language"] = translation.get_language()
        # Grouped by region, each zone with its offset today (summer time included), in the page's language.
        self.fields["time_zone"] = TimeZoneField(
            label=self.fields["time_zone"].label, help_text=self.fields["time_zone"].help_text, required=False
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form has the token already
        self.helper.layout = Layout(
            "first_name",
            "last_name",
            Field("cv", template="profiles/cv_field.html"),
            *(["remove_cv"] if "remove_cv" in self.fields else []),
            "language",
            "time_zone",
            Submit("save", gettext_lazy("Save profile")),
        )

    def clean_language(self) -> str:
        """The language chosen; a form sent without one (a script, an old page) keeps the saved one."""
        return self.cleaned_data["language"] or self.instance.language or self.initial["language"]

    def clean_time_zone(self) -> str:
        """The zone chosen; a form sent without one (a script, an old page) keeps the saved one."""
        return self.cleaned_data["time_zone"] or self.instance.time_zone

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("remove_cv") and self.files.get("cv"):
            raise forms.ValidationError(gettext("Choose a new CV or remove the current one, not both."))
        return self.cleaned_data

    def save(self, commit: bool = True) -> User:
        """Store or remove the CV first (a storage fault raises CVStorageUnavailable with nothing saved), then write
        only the names this form changed: a copy of the user loaded earlier must not undo another request's change.
        """
        if not commit:
            raise ValueError("ProfileForm stores the CV as it saves; it cannot save without committing.")
        user = self.instance
        if upload := self.cleaned_data.get("cv"):
            replace_cv(user=user, upload=upload)
        elif self.cleaned_data.get("remove_cv"):
            clear_cv(user=user)
        changed = [name for name in self._meta.fields or () if name in self.changed_data]
        if self.language_unsaved and "language" not in changed:
            changed.append("language")
        if changed:
            user.save(update_fields=changed)
        return user
