from django.core.exceptions import PermissionDenied
from django.db import models
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
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
