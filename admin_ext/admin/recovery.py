"""Recovery in the admin: hand-overs of unpaid invoices to the public accountant, read-only with
their files (made from the invoice list through core.services.handover)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from admin_ext.formatting import euros
from core.models import HandoverBatch, HandoverItem


class HandoverItemInline(ReadOnlyTabularInline):
    model = HandoverItem
    fields = ["invoice", "amount_due", "reminders_sent"]


@admin.register(HandoverBatch)
class HandoverBatchAdmin(BaseAdmin):
    list_display = ["__str__", "regie", "created_at", "created_by", "invoice_count", "total_euros"]
    list_filter = ["regie"]
    list_select_related = ["regie", "created_by"]
    inlines = [HandoverItemInline]
    fields = ["regie", ("created_at", "created_by"), ("invoice_count", "total_euros"), ("spreadsheet_link", "archive_link")]
    readonly_fields = ["regie", "created_at", "created_by", "invoice_count", "total_euros", "spreadsheet_link",
                       "archive_link"]

    def has_add_permission(self, request):
        return False  # made from the invoice list, through the service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="Montant à recouvrer", ordering="total_due")
    def total_euros(self, obj):
        return euros(obj.total_due)

    def get_urls(self):
        view = self.admin_site.admin_view(self.file_view)
        return [path("<int:object_id>/fichier/<str:kind>/", view, name="core_handoverbatch_file"), *super().get_urls()]

    FILES = {
        "etat": ("spreadsheet", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "restes-a-recouvrer", "xlsx"),
        "factures": ("archive", "application/zip", "factures", "zip"),
    }

    def file_view(self, request, object_id, kind):
        batch = self.get_object(request, str(object_id))
        if batch is None or kind not in self.FILES:
            raise Http404("Transmission introuvable")
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        field, mimetype, stem, extension = self.FILES[kind]
        stored = getattr(batch, field)
        if not stored:
            raise Http404("Fichier pas encore disponible")
        return FileResponse(stored.open("rb"), as_attachment=True, content_type=mimetype,
                            filename=f"transmission-{batch.pk}-{stem}.{extension}")

    def _link(self, obj, kind, label):
        return format_html('<a href="{}">{}</a>', reverse("admin:core_handoverbatch_file", args=[obj.pk, kind]), label)

    @display(description="État des restes à recouvrer")
    def spreadsheet_link(self, obj):
        return self._link(obj, "etat", "Télécharger (tableur)") if obj.spreadsheet else "—"

    @display(description="Factures")
    def archive_link(self, obj):
        return self._link(obj, "factures", "Télécharger (ZIP)") if obj.archive else "—"
