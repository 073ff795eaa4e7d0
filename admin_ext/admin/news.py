from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin
from core.models import News


@admin.register(News)
class NewsAdmin(BaseAdmin):
    list_display = ["title", "published_from", "published_until", "is_published", "created_by"]
    search_fields = ["title", "body"]
    readonly_fields = ["created_by", "created_at", "preview"]
    fieldsets = (
        (None, {"fields": ("title", "body", ("published_from", "published_until"))}),
        ("Aperçu sur le portail", {"fields": ("preview",)}),
        ("Suivi", {"fields": (("created_by", "created_at"),)}),
    )

    @display(description="En ligne", boolean=True)
    def is_published(self, obj):
        now = timezone.now()
        return obj.published_from <= now and (obj.published_until is None or obj.published_until > now)

    @display(description="Aperçu")
    def preview(self, obj):
        """The news as families read it on the portal's home page (saved version)."""
        if not obj.pk:
            return "Enregistrez l'actualité pour la prévisualiser."
        return format_html(
            '<article class="ef-news-preview"><p class="ef-muted">{}</p><h3>{}</h3>{}</article>',
            timezone.localtime(obj.published_from).strftime("%d/%m/%Y"),
            obj.title,
            mark_safe(linebreaks(obj.body, autoescape=True)),  # the body is escaped by linebreaks
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
