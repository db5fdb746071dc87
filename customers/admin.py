from django.contrib import admin

from crm.admin import ReadOnlyAdminMixin

from .models import Contact, Customer, Tag


class ContactInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["customer_no", "name", "owner", "status", "level", "updated_at"]
    list_filter = ["status", "level", "type"]
    search_fields = ["customer_no", "name", "credit_code"]
    raw_id_fields = ["owner", "success_manager", "created_by", "deleted_by"]
    readonly_fields = ["customer_no", "created_at", "updated_at", "version"]
    inlines = [ContactInline]
    list_select_related = ["owner"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "colour"]
