from django.contrib import admin

from admin_ext.admin.base import BaseAdmin
from core.models import News


@admin.register(News)
class NewsAdmin(BaseAdmin):
    list_display = ["title", "published_from", "published_until", "created_by"]
    search_fields = ["title", "body"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
