from django.contrib import admin

from .models import CustomField, SecurityEvent


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "target", "field_type", "required", "show_in_list",
                    "filterable", "order"]  # fmt: skip
    list_filter = ["target", "field_type"]
    list_editable = ["order"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "actor", "target", "rows"]
    list_filter = ["kind"]
    readonly_fields = ["at", "kind", "actor", "target", "rows", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
