"""Form of the accueil de loisirs page: a whole holiday in the basket, for one unit."""

from django import forms

from core.models import Activity, Enrolment
from portail.forms import ChildChoiceField


class LeisurePeriodForm(forms.Form):
    """One unit (« 3–5 ans — journée avec repas ») for the chosen children, every day of the
    window's period; the rules (opening, age group, places) are checked by basket_add_period."""

    children = ChildChoiceField(
        label="Enfant(s)", queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )
    unit = forms.ModelChoiceField(
        label="Unité", queryset=None, empty_label=None,
        error_messages={"invalid_choice": "Choisissez une unité de la liste.", "required": "Choisissez une unité."},
    )

    def __init__(self, *args, household, window, **kwargs):
        super().__init__(*args, **kwargs)
        self.window = window
        enrolled = Enrolment.objects.accepted().filter(child__household=household).values("activity_id")
        self.fields["unit"].queryset = Activity.objects.filter(
            pk__in=enrolled, registration_windows=window, is_active=True
        ).order_by("min_age", "position", "name")
        self.fields["children"].queryset = household.children.filter(
            enrolments__activity__registration_windows=window
        ).distinct().order_by("first_name")
        self.fields["unit"].widget.attrs["id"] = f"id_unit_{window.pk}"
        self.auto_id = f"id_%s_{window.pk}"
