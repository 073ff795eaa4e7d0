"""Staff pages of the accueil de loisirs: the planning per day, age group and unit."""

import tablib
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import UnfoldAdminDateWidget

from core.services.leisure import leisure_planning
from core.services.headcounts import week_bounds

MAX_PLANNING_DAYS = 31


class PlanningForm(forms.Form):
    start = forms.DateField(label="Du", widget=UnfoldAdminDateWidget)
    end = forms.DateField(label="Au (inclus)", widget=UnfoldAdminDateWidget)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("La fin de la période doit suivre son début.")
            if (end - start).days >= MAX_PLANNING_DAYS:
                raise forms.ValidationError(f"Le planning couvre {MAX_PLANNING_DAYS} jours au plus.")
        return cleaned


def planning_dataset(planning):
    """One row per day × age group × unit, with the count and the children's names."""
    dataset = tablib.Dataset(headers=["Jour", "Tranche d'âge", "Unité", "Repas", "Capacité", "Inscrits", "Enfants"])
    for day in planning:
        for cell in day.cells:
            unit = cell.activity
            dataset.append([
                day.day.strftime("%d/%m/%Y"), unit.age_group_label, unit.get_half_day_display(),
                "oui" if unit.includes_meal else "non", unit.capacity if unit.capacity is not None else "",
                cell.count, ", ".join(child.full_name for child in cell.children),
            ])
    dataset.title = "Planning ALSH"
    return dataset


class LeisurePlanningView(UnfoldModelAdminViewMixin, TemplateView):
    title = "Planning de l'accueil de loisirs"
    permission_required = ("core.view_booking",)
    template_name = "admin_ext/leisure_planning.html"
    print_template_name = "admin_ext/leisure_planning_print.html"

    def get_form(self):
        data = self.request.GET.copy()
        monday, friday = week_bounds(timezone.localdate())
        data.setdefault("start", monday.isoformat())
        data.setdefault("end", friday.isoformat())
        return PlanningForm(data)

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, planning=None))
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        planning = leisure_planning(start=start, end=end)
        if request.GET.get("export") == "xlsx":
            response = HttpResponse(
                planning_dataset(planning).export("xlsx"),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="planning-alsh-{start:%Y-%m-%d}.xlsx"'
            return response
        context = self.get_context_data(form=form, planning=planning, start=start, end=end)
        if "print" in request.GET:
            return self.response_class(request, self.print_template_name, context)
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["town_name"] = settings.TOWN_NAME
        context["query"] = self.request.GET.urlencode()
        return context
