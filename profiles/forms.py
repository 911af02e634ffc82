"""The profile form: names and the CV, rendered with crispy-bootstrap5."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout, Submit
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.cv import clear_cv, replace_cv
from accounts.models import User
from accounts.validators import CV_EXTENSIONS, describe_cv_rules, validate_cv_file


class ProfileForm(forms.ModelForm):
    # Not a model field of this form: the form never puts an upload on the user; accounts.cv stores it on save.
    cv = forms.FileField(
        label="CV",
        required=False,
        validators=[validate_cv_file],
        widget=forms.FileInput(attrs={"accept": ",".join(f".{ext}" for ext in CV_EXTENSIONS)}),
    )
    remove_cv = forms.BooleanField(label="Remove my current CV", required=False)

    class Meta:
        model = User
        fields = ("first_name", "last_name", "language")
        labels = {"first_name": _("First name"), "last_name": _("Last name"), "language": _("Language")}
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cv"].help_text = describe_cv_rules()
        if not self.instance.cv:
            del self.fields["remove_cv"]
        # No blank choice: an account that has not chosen yet is shown (and saves) the language the page is in.
        language_field = self.fields["language"]
        assert isinstance(language_field, forms.ChoiceField)
        language_field.choices = settings.LANGUAGES
        self.language_unsaved = not self.instance.language
        if self.language_unsaved:
            self.initial["language"] = translation.get_language()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form has the token already
        self.helper.layout = Layout(
            "first_name",
            "last_name",
            HTML(
                '{% if form.instance.cv %}<p class="mb-2">Current CV: <a href="{% url "profile_cv" %}">'
                "{{ form.instance.cv_original_name }}</a></p>{% endif %}"
            ),
            "cv",
            *(["remove_cv"] if "remove_cv" in self.fields else []),
            "language",
            Submit("save", "Save profile"),
        )

    def clean_language(self) -> str:
        """The language chosen; a form sent without one (a script, an old page) keeps the saved one."""
        return self.cleaned_data["language"] or self.instance.language or self.initial["language"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("remove_cv") and self.files.get("cv"):
            raise forms.ValidationError("Choose a new CV or remove the current one, not both.")
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
