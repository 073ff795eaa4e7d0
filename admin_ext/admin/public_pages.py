from django.contrib import admin
from django.utils.html import format_html
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin
from core.models import PublicPage
from core.services.public_pages import page_html


@admin.register(PublicPage)
class PublicPageAdmin(BaseAdmin):
    """The four pages exist from the start (data migration); staff edit their text, never add or
    remove one (the portal's footer links to exactly these)."""

    list_display = ["title", "slug", "updated_at"]
    readonly_fields = ["slug", "updated_at", "preview"]
    fieldsets = (
        (None, {"fields": ("slug", "title", "body")}),
        ("Aperçu sur le portail (version enregistrée)", {"fields": ("preview",)}),
        ("Suivi", {"fields": ("updated_at",)}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="Aperçu")
    def preview(self, obj):
        return format_html('<article class="ef-news-preview"><h3>{}</h3>{}</article>', obj.title, page_html(obj))
