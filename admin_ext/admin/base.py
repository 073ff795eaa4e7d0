from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from core.models.fields import ChoiceSetField


class BaseAdmin(ModelAdmin):
    """Defaults shared by every admin page: dense lists, filters in the side panel."""

    list_per_page = 50
    list_filter_submit = True
    list_fullwidth = True
    warn_unsaved_form = True
    formfield_overrides = {ChoiceSetField: {"widget": UnfoldAdminCheckboxSelectMultipleWidget}}
