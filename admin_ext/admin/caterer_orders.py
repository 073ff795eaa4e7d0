from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin
from core.models import CatererOrder


@admin.register(CatererOrder)
class CatererOrderAdmin(BaseAdmin):
    """The orders sent to the kitchens, kept as sent (read-only): sent by the schedule at each
    cut-off, corrected by a staff override after it."""

    list_display = ["day", "school", "kind", "total", "recipient", "sent_at", "files"]
    list_filter = ["kind", "school"]
    date_hierarchy = "day"
    list_select_related = ["school"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CatererOrder._meta.fields] + ["files"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.file_view)
        return [path("<path:object_id>/fichier/<str:kind>/", view, name="core_catererorder_file")] + super().get_urls()

    def file_view(self, request, object_id, kind):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or kind not in ("pdf", "xlsx") or not getattr(obj, kind):
            raise Http404("Fichier indisponible")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        field = getattr(obj, kind)
        return FileResponse(field.open("rb"), as_attachment=True, filename=field.name.rsplit("/", 1)[-1])

    @display(description="Fichiers")
    def files(self, obj):
        if not obj.pdf:
            return "—"
        url = lambda kind: reverse("admin:core_catererorder_file", args=[obj.pk, kind])  # noqa: E731
        return format_html('<a href="{}">PDF</a> · <a href="{}">Tableur</a>', url("pdf"), url("xlsx"))
