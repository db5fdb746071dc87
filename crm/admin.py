"""The Django admin, for superusers only: settings (custom fields, tags) and
read-only audit trails; records and settings are edited in the app, through
the services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .auth import ThrottledAdminAuthenticationForm
from .customfields import count_unfit
from .models import CustomField, HistoryEntry, SecurityEvent


class CustomFieldForm(forms.ModelForm):
    """Says, before saving, how many stored values the new definition cannot
    hold; saving then needs "save anyway". Those values are kept and flagged
    (see `crm.customfields`), never converted or dropped."""

    confirm_unfit = forms.BooleanField(
        label=_("Save anyway"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = CustomField
        fields = ["target", "key", "label", "field_type", "choices", "required",
                  "show_in_list", "filterable", "order"]  # fmt: skip

    def clean(self):
        cleaned_data = super().clean()
        definition = ("target", "key", "field_type", "choices")
        if self.errors or (
            self.instance.pk and not set(definition) & set(self.changed_data)
        ):
            return cleaned_data
        probe = CustomField(
            **{f: cleaned_data.get(f, getattr(self.instance, f)) for f in definition}
        )
        unfit = count_unfit(probe)
        if unfit and not cleaned_data.get("confirm_unfit"):
            self.fields["confirm_unfit"].widget = forms.CheckboxInput()
            raise ValidationError(
                ngettext(
                    "%(n)s record has a value that does not fit the new type or "
                    "choices; after saving it is kept and flagged. Tick “Save "
                    "anyway” to save.",
                    "%(n)s records have values that do not fit the new type or "
                    "choices; after saving these values are kept and flagged. "
                    "Tick “Save anyway” to save.",
                    unfit,
                )
                % {"n": unfit},
                code="unfit",
            )
        return cleaned_data


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldForm
    list_display = ["label", "key", "target", "field_type", "required", "show_in_list",
                    "filterable", "order"]  # fmt: skip
    list_filter = ["target", "field_type"]
    list_editable = ["order"]

    def get_readonly_fields(self, request, obj=None):
        # Stored values are found by target and key: changing either would
        # silently hide every value already entered.
        return ["target", "key"] if obj else []


class ReadOnlyAdminMixin:
    """View only, superusers included: records are written through the
    services (grants, history, trash, audit), which the admin would bypass,
    and the audit trail is something nobody may thin out."""

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "kind", "actor", "target", "rows"]
    list_filter = ["kind"]
    readonly_fields = ["at", "kind", "actor", "target", "rows", "detail"]


@admin.register(HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "content_type", "object_id", "actor", "version"]
    list_filter = ["action", "content_type"]
    view_on_site = False  # a purged record's entries have no page to go to
    readonly_fields = [
        "at",
        "action",
        "content_type",
        "object_id",
        "actor",
        "version",
        "changes",
    ]


# The lock itself is in crm.auth's backend; this form only tells a locked-out
# admin why, like the app's login page does.
admin.site.login_form = ThrottledAdminAuthenticationForm


def superusers_only(request) -> bool:
    """Administrators work in the app's own settings (/settings/), through
    the roles; the Django admin is left to superusers."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superusers_only
