from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from core.models.fields import ChoiceSetField


class BaseAdmin(ModelAdmin):
    """Defaults shared by every admin page: dense lists, filters in the side panel."""

    list_per_page = 50
    list_filter_submit = True
    list_fullwidth = True
    warn_unsaved_form = True
    formfield_overrides = {ChoiceSetField: {"widget": UnfoldAdminCheckboxSelectMultipleWidget}}


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin (unfold styles its pages): "Historique" on each record."""

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # simple-history calls select_related() with no field when the model has no foreign key,
        # which Django 6.1 deprecates: name the fields ourselves.
        queryset = history_manager.filter(**{pk_name: object_id}).select_related("history_user")
        foreign_keys = [f.name for f in history_manager.model.tracked_fields if isinstance(f, models.ForeignKey)]
        return queryset.select_related(*foreign_keys) if foreign_keys else queryset

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting saves an old version whole, through no form field and no service, with only the
        # view permission: history is for reading (SIMPLE_HISTORY_REVERT_DISABLED hides the button).
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServicePageAdmin:
    """Rows that a service's own staff page writes (the booking override, the attendance sheet):
    the generic add, change and delete forms would skip the service's rules, so they are
    read-only; the list and each record stay visible."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(TabularInline):
    """Rows shown for reading only (invoice lines, allocations, history): issued documents and
    payment records are never edited from the admin."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StoredPdfMixin:
    """Staff download an issued document's PDF through the admin, streamed from the default
    storage whatever it is: nobody serves /media/, and a bucket's objects are private."""

    pdf_filename_prefix = ""

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(self.pdf_view)
        return [path("<path:object_id>/pdf/", view, name=f"{opts.app_label}_{opts.model_name}_pdf")] + super().get_urls()

    def pdf_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not obj.pdf:
            raise Http404("PDF pas encore disponible")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return FileResponse(obj.pdf.open("rb"), as_attachment=True, content_type="application/pdf",
                            filename=f"{self.pdf_filename_prefix}-{obj.number}.pdf")

    @display(description="PDF")
    def pdf_link(self, obj):
        if not obj.pdf:
            return "—"
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_pdf", args=[obj.pk])
        return format_html('<a href="{}">Télécharger</a>', url)
