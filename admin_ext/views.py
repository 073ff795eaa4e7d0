"""Staff pages inside the unfold admin: kitchen headcounts and attendance (pointage)."""

import datetime

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin
from unfold.widgets import UnfoldAdminDateWidget, UnfoldAdminSelectWidget

from core.models import Activity, Attendance, Child, School
from core.services import attendance as attendance_service
from core.services.headcounts import DIETARY_LIST, DIETARY_SUMMARY, headcounts_compute, week_bounds


def short_day(day):
    """« Lun. 18 sept. »"""
    return f"{date_format(day, 'D').capitalize()}. {day.day} {date_format(day, 'b')}."


# --- Kitchen headcounts ---------------------------------------------------------------------


class HeadcountForm(forms.Form):
    PERIODS = [("week", "Semaine"), ("day", "Jour")]
    KINDS = [("meal", "Repas"), ("", "Toutes les prestations")]

    day = forms.DateField(label="Jour", widget=UnfoldAdminDateWidget)
    period = forms.ChoiceField(label="Période", choices=PERIODS, initial="week", widget=UnfoldAdminSelectWidget)
    kind = forms.ChoiceField(label="Prestations", choices=KINDS, required=False, widget=UnfoldAdminSelectWidget)
    school = forms.ModelChoiceField(
        label="École", queryset=School.objects.all(), required=False, empty_label="Toutes les écoles",
        widget=UnfoldAdminSelectWidget,
    )

    def bounds(self):
        day = self.cleaned_data["day"]
        return week_bounds(day) if self.cleaned_data["period"] == "week" else (day, day)


def headcount_dataset(sheet):
    """The headcounts as a table: one row per school × activity, one column per day."""
    dataset = tablib.Dataset(headers=["École", "Prestation", *(d.strftime("%d/%m/%Y") for d in sheet.days), "Total"])
    for row in sheet.rows:
        dataset.append([row.school_name, row.activity.name, *row.counts, row.total])
    dataset.append(["Total", "", *sheet.day_totals, sheet.total])
    dataset.title = "Effectifs"
    return dataset


def dietary_dataset(sheet):
    dataset = tablib.Dataset(headers=["École", "Enfant", "Classe", "PAI", "Régime", "Allergies", "Jours"])
    for school_name, needs in sheet.dietary.items():
        for need in needs:
            child = need.child
            dataset.append([
                school_name, child.full_name, child.grade, "oui" if child.has_pai else "non", child.diet,
                child.allergies, ", ".join(d.strftime("%d/%m") for d in need.days),
            ])
    dataset.title = "PAI et régimes"
    return dataset


class HeadcountView(UnfoldModelAdminViewMixin, TemplateView):
    title = "Effectifs cantine"
    permission_required = ("core.view_booking",)
    template_name = "admin_ext/headcounts.html"
    print_template_name = "admin_ext/headcounts_print.html"

    def get_form(self):
        data = self.request.GET.copy()
        data.setdefault("day", timezone.localdate().isoformat())
        data.setdefault("period", "week")
        data.setdefault("kind", "meal")
        return HeadcountForm(data)

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, sheet=None))
        start, end = form.bounds()
        school = form.cleaned_data["school"]
        export = request.GET.get("export")
        printed = export is not None or "print" in request.GET
        # On screen, the town's whole list of PAI and diets (thousands of children) is summed up per
        # school, each linking to its own list; printouts and exports always carry the lists.
        sheet = headcounts_compute(
            start=start, end=end, activity_kind=form.cleaned_data["kind"] or None, school=school,
            dietary=DIETARY_LIST if printed or school is not None else DIETARY_SUMMARY,
        )
        filename = f"effectifs-{start:%Y-%m-%d}" + (f"-au-{end:%Y-%m-%d}" if end != start else "")
        if export in {"xlsx", "csv"}:
            return self.export(sheet, export, filename)
        context = self.get_context_data(form=form, sheet=sheet, days=[short_day(d) for d in sheet.days])
        context["school"] = school
        context["dietary_links"] = [
            (summary, self._query_with(school=summary.school.pk) if summary.school else None)
            for summary in sheet.dietary_summary
        ]
        if export == "pdf" or "print" in request.GET:
            html = render_to_string(self.print_template_name, context, request=request)
            if export != "pdf":
                return HttpResponse(html)
            from weasyprint import HTML

            pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
            return response
        return self.render_to_response(context)

    def export(self, sheet, export, filename):
        counts, dietary = headcount_dataset(sheet), dietary_dataset(sheet)
        if export == "csv":
            content = counts.export("csv", delimiter=";")
            response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
        else:
            content = tablib.Databook([counts, dietary]).export("xlsx")
            response = HttpResponse(
                content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}.{export}"'
        return response

    def _query_with(self, **params):
        query = self.request.GET.copy()
        for name, value in params.items():
            query[name] = value
        return query.urlencode()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["town_name"] = settings.TOWN_NAME
        context["query"] = self.request.GET.urlencode()
        return context


# --- Attendance (pointage) ------------------------------------------------------------------


class AttendanceSheetForm(forms.Form):
    school = forms.ModelChoiceField(label="École", queryset=School.objects.all(), widget=UnfoldAdminSelectWidget)
    activity = forms.ModelChoiceField(
        label="Prestation", queryset=Activity.objects.filter(is_active=True), widget=UnfoldAdminSelectWidget
    )
    day = forms.DateField(label="Jour", widget=UnfoldAdminDateWidget)


STATUS_BUTTONS = [
    (Attendance.Status.PRESENT, "Présent", "p", "success"),
    (Attendance.Status.ABSENT_JUSTIFIED, "Absent justifié", "j", "warning"),
    (Attendance.Status.ABSENT_UNJUSTIFIED, "Absent non justifié", "n", "danger"),
]


class AttendanceView(UnfoldModelAdminViewMixin, TemplateView):
    title = "Pointage"
    permission_required = ("core.add_attendance", "core.change_attendance")
    template_name = "admin_ext/attendance.html"

    def get_form(self):
        data = self.request.GET.copy() if "day" in self.request.GET else {}
        if not data:
            school = School.objects.first()
            activity = Activity.objects.filter(is_active=True, kind=Activity.Kind.MEAL).first()
            data = {
                "school": school.pk if school else "",
                "activity": activity.pk if activity else "",
                "day": timezone.localdate().isoformat(),
            }
        return AttendanceSheetForm(data)

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        context = {"form": form, "lines": None}
        if form.is_valid():
            school, activity, day = (form.cleaned_data[k] for k in ("school", "activity", "day"))
            context.update(
                school=school,
                activity=activity,
                day=day,
                day_label=date_format(day, "l j F Y").capitalize(),
                previous_day=(day - datetime.timedelta(days=1)).isoformat(),
                next_day=(day + datetime.timedelta(days=1)).isoformat(),
                locked=attendance_service.attendance_is_locked(activity=activity, day=day),
                lines=attendance_service.attendance_sheet(school=school, activity=activity, day=day),
                candidates=attendance_service.attendance_unbooked_candidates(school=school, activity=activity, day=day),
                buttons=STATUS_BUTTONS,
                unbooked_status=Attendance.Status.PRESENT_UNBOOKED,
            )
            context["recorded"] = sum(1 for line in context["lines"] if line.status)
        return self.render_to_response(self.get_context_data(**context))

    def post(self, request, *args, **kwargs):
        form = AttendanceSheetForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choisissez une école, une prestation et un jour.")
            return HttpResponseRedirect(request.path)
        school, activity, day = (form.cleaned_data[k] for k in ("school", "activity", "day"))
        child = get_object_or_404(Child, pk=request.POST.get("child"), school=school)
        status = request.POST.get("status")
        anchor = ""
        if status not in Attendance.Status.values:
            messages.error(request, "Pointage inconnu.")
        else:
            try:
                attendance_service.attendance_record(child=child, activity=activity, day=day, status=status, by=request.user)
                anchor = f"#enfant-{child.pk}"
            except ValidationError as error:
                messages.error(request, f"{child.full_name} : {' '.join(error.messages)}")
        query = f"school={school.pk}&activity={activity.pk}&day={day.isoformat()}"
        return HttpResponseRedirect(f"{reverse('admin:core_attendance_sheet')}?{query}{anchor}")
