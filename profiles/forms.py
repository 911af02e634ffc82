"""The profile form: names and the CV, rendered with crispy-bootstrap5."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout, Submit
from django import forms

from accounts.models import User
from accounts.validators import CV_EXTENSIONS, describe_cv_rules


class ProfileForm(forms.ModelForm):
    remove_cv = forms.BooleanField(label="Remove my current CV", required=False)

    class Meta:
        model = User
        fields = ("first_name", "last_name", "cv")
        labels = {"first_name": "First name", "last_name": "Last name", "cv": "CV"}
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "cv": forms.FileInput(attrs={"accept": ",".join(f".{ext}" for ext in CV_EXTENSIONS)}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cv"].help_text = describe_cv_rules()
        if not self.instance.cv:
            del self.fields["remove_cv"]
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
            Submit("save", "Save profile"),
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("remove_cv") and self.files.get("cv"):
            raise forms.ValidationError("Choose a new CV or remove the current one, not both.")
        return cleaned

    def save(self, commit: bool = True) -> User:
        if self.cleaned_data.get("remove_cv"):
            self.instance.cv = ""
        user = super().save(commit=False)
        if commit:
            # Write only what this form changed: a save from a copy loaded before someone else replaced the
            # CV (another tab, the admin) must not point the row back at the file that was just deleted.
            fields = [name for name in ("first_name", "last_name") if name in self.changed_data]
            if "cv" in self.changed_data or self.cleaned_data.get("remove_cv"):
                fields += ["cv", "cv_original_name", "cv_size", "cv_uploaded_at"]
            user.save(update_fields=fields)
        return user
