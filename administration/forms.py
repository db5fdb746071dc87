"""Forms of the settings pages; every message is written for people, in
Chinese through the catalogue, and shown next to its field."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from crm import admin as crm_admin
from crm import roles
from crm.forms import VersionedFormMixin
from crm.models import CustomField

from . import services
from .models import CompanySettings

User = get_user_model()
KEY = re.compile(r"[a-z][a-z0-9_]*")


class CustomFieldForm(crm_admin.CustomFieldForm):
    """The admin's custom field form (and its "values that will not fit"
    check before saving), with the key and target fixed once created."""

    class Meta(crm_admin.CustomFieldForm.Meta):
        widgets = {
            "choices": forms.Textarea(attrs={"rows": 4}),
            "order": forms.NumberInput(attrs={"min": 0, "max": 32767}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = CustomField.Target.choices
        if self.instance.pk:
            for name in ("target", "key"):
                self.fields[name].disabled = True
            self.fields["key"].help_text = _(
                "Fixed once the field exists: the stored values are found by it."
            )
        else:
            self.fields["key"].help_text = _(
                "Lower-case letters, digits and underscores, starting with a "
                "letter, e.g. source_channel. It cannot be changed later."
            )

    def clean_key(self):
        key = self.cleaned_data["key"]
        if self.instance.pk:
            return self.instance.key
        key = key.strip()
        if not KEY.fullmatch(key):
            raise forms.ValidationError(
                _(
                    "Use lower-case letters, digits and underscores only, "
                    "starting with a letter."
                ),
                code="invalid",
            )
        target = self.data.get(self.add_prefix("target"), "")
        if CustomField.objects.filter(target=target, key=key).exists():
            raise forms.ValidationError(
                _("This record type already has a field with the key “%(key)s”.")
                % {"key": key},
                code="unique",
            )
        return key

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        target = self.instance.target or self.data.get(self.add_prefix("target"))
        taken = CustomField.objects.filter(target=target, label=label)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This record type already has a field labelled “%(label)s”.")
                % {"label": label},
                code="unique",
            )
        return label

    def clean_choices(self):
        lines = []
        for line in self.cleaned_data["choices"].splitlines():
            line = line.strip()
            if line and line not in lines:
                lines.append(line)
        return "\n".join(lines)

    def validate_unique(self):
        # clean_key / clean_label say it next to the field, in words; the
        # constraints' stock message would repeat it at the top.
        pass

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.CUSTOM_FIELD_FIELDS}


def role_choices():
    return [(g.name, roles.ROLE_LABELS[g.name]) for g in services.role_groups()]


class UserFieldsMixin(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "---------"), *role_choices()]


class UserCreateForm(SetPasswordMixin, UserFieldsMixin):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Used to sign in: letters, digits and @ . + - _ only."),
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Initial password"), label2=_("Initial password again")
    )

    field_order = ["username", "full_name", "email", "role", "password1", "password2"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(
                _("The username “%(username)s” is taken; choose another.")
                % {"username": username},
                code="unique",
            )
        return username

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords()
        probe = User(
            username=cleaned_data.get("username", ""),
            first_name=cleaned_data.get("full_name", ""),
            email=cleaned_data.get("email", ""),
        )
        self.validate_password_for_user(probe, "password1")
        return cleaned_data


class UserUpdateForm(UserFieldsMixin):
    is_active = forms.BooleanField(
        label=_("Active (may sign in)"),
        required=False,
        help_text=_(
            "Deactivate instead of deleting: the person's records and history stay."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        role = next((n for n in roles.role_names(user) if n in roles.ROLE_LABELS), "")
        kwargs.setdefault(
            "initial",
            {
                "full_name": user.first_name,
                "email": user.email,
                "role": role,
                "is_active": user.is_active,
            },
        )
        super().__init__(*args, **kwargs)


class UserPasswordForm(SetPasswordMixin, forms.Form):
    new_password1, new_password2 = SetPasswordMixin.create_password_fields(
        label1=_("New password"), label2=_("New password again")
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return cleaned_data


class CompanySettingsForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = CompanySettings
        fields = list(CompanySettings.tracked_fields)

    def clean_name(self):
        return self.cleaned_data["name"].strip()
