"""Enrolment campaigns and the review queue of the families' requests. Decisions go through
core.services.enrolment_requests; the request itself is read-only here."""

import tablib
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from unfold.admin import TabularInline
from unfold.decorators import action, display

from admin_ext.admin.base import BaseAdmin
from core.models import WEEKDAYS, Activity, CampaignService, EnrolmentCampaign, EnrolmentRequest
from core.services import enrolment_requests as er

STATUS_COLOURS = {
    "Brouillon": "default",
    "Envoyée": "info",
    "À compléter": "warning",
    "Acceptée": "success",
    "Refusée": "danger",
}


def _people(items):
    return "; ".join(f"{p.get('name')} — {p.get('phone')} ({p.get('relation') or '?'})" for p in items) or "—"


class CampaignServiceInline(TabularInline):
    model = CampaignService
    extra = 0
    fields = ["activity", "schools", "asks_days", "required_documents", "optional_documents"]
    show_title = True


@admin.register(EnrolmentCampaign)
class EnrolmentCampaignAdmin(BaseAdmin):
    list_display = ["name", "school_year", "opens_at", "closes_at", "requests_to_review"]
    list_filter = ["school_year"]
    inlines = [CampaignServiceInline]
    fields = ["name", "school_year", ("opens_at", "closes_at"), "message", "leave_alone_grades"]

    @display(description="Dossiers à examiner")
    def requests_to_review(self, obj):
        return obj.requests.filter(status=EnrolmentRequest.Status.SUBMITTED).count()


class ServiceFilter(admin.SimpleListFilter):
    title = "prestation"
    parameter_name = "prestation"

    def lookups(self, request, model_admin):
        return [(a.pk, a.name) for a in Activity.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(requested_services__service__activity_id=self.value()).distinct()
        return queryset


class MissingDocumentsFilter(admin.SimpleListFilter):
    title = "documents"
    parameter_name = "documents"

    def lookups(self, request, model_admin):
        return [("manquants", "Documents manquants"), ("complets", "Documents complets")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        candidates = queryset.select_related("campaign__school_year", "child__household")
        missing = er.requests_missing_documents(requests=candidates)
        return queryset.filter(pk__in=missing) if self.value() == "manquants" else queryset.exclude(pk__in=missing)


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(label="Décision", required=False, choices=[("", "—"), *er.DECISIONS],
                                 widget=forms.RadioSelect)
    message = forms.CharField(label="Message à la famille", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Obligatoire pour demander des compléments ou refuser ; envoyé par email.")
    quotient_value = forms.IntegerField(label="Quotient familial lu sur l'attestation (€)", required=False, min_value=0)
    quotient_from = forms.DateField(label="Applicable à partir du", required=False,
                                    help_text="Vide : la rentrée de l'année scolaire.")

    class Meta:
        model = EnrolmentRequest
        fields = []

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision:
            problem = er.decision_problem(self.instance, decision, message=data.get("message") or "",
                                          quotient_value=data.get("quotient_value"))
            if problem:
                raise forms.ValidationError(problem)
        return data


@admin.register(EnrolmentRequest)
class EnrolmentRequestAdmin(BaseAdmin):
    form = DecisionForm
    list_display = ["child", "household", "campaign", "school", "services", "status_badge", "missing", "submitted_at"]
    list_filter = ["campaign", "child__school", ServiceFilter, "status", MissingDocumentsFilter]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference", "child__household__name"]
    list_select_related = ["child__household", "child__school", "campaign__school_year"]
    actions = ["accept_selected", "export_selected", "print_health_forms"]
    readonly_fields = ["child", "household", "campaign", "status_badge", "services", "documents_list", "health_form",
                       "staff_message", "submitted_at", "decided_at", "decided_by"]
    fieldsets = (
        (None, {"fields": ("child", "household", "campaign", "status_badge", ("submitted_at", "decided_at", "decided_by"))}),
        ("Prestations et documents", {"fields": ("services", "documents_list")}),
        ("Fiche sanitaire et autorisations", {"fields": ("health_form",)}),
        ("Décision", {"fields": ("staff_message", "decision", "message", ("quotient_value", "quotient_from"))}),
    )

    def has_add_permission(self, request):
        return False  # families create requests; staff decide

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("requested_services__service__activity")

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            er.request_decide(enrolment_request=obj, decision=decision, reviewer=request.user,
                              message=form.cleaned_data.get("message") or "",
                              quotient_value=form.cleaned_data.get("quotient_value"),
                              quotient_from=form.cleaned_data.get("quotient_from"))
        except er.EnrolmentRequestError as error:
            messages.error(request, str(error))
        else:
            obj.refresh_from_db()
            messages.success(request, f"Dossier de {obj.child} : {obj.get_status_display().lower()} ; la famille est prévenue par email.")

    @action(description="Accepter les dossiers sélectionnés", permissions=["change"])
    def accept_selected(self, request, queryset):
        accepted, skipped = er.requests_accept(requests=list(queryset), reviewer=request.user)
        if accepted:
            messages.success(request, f"{len(accepted)} dossier(s) accepté(s) ; les familles sont prévenues par email.")
        for enrolment_request, reason in skipped:
            messages.warning(request, f"{enrolment_request.child} : {reason}")

    @action(description="Exporter les dossiers sélectionnés (Excel)", permissions=["view"])
    def export_selected(self, request, queryset):
        requests = self._for_export(queryset)
        dataset = tablib.Dataset(headers=[
            "Campagne", "École", "Classe", "Enfant", "Né(e) le", "Foyer", "Prestations", "Statut", "Allergies",
            "Régime", "PAI", "Précisions PAI", "Médecin", "Personnes à prévenir", "Personnes autorisées", "Photos",
            "Part seul", "Documents manquants"], title="Dossiers")
        for r in requests:
            child = r.child
            dataset.append([
                r.campaign.name, child.school.name if child.school else "", child.grade, child.full_name,
                child.birth_date.strftime("%d/%m/%Y"), child.household.reference, self.services(r),
                r.get_status_display(), r.allergies, r.diet, "oui" if r.has_pai else "non", r.pai_details,
                " ".join(p for p in (r.doctor_name, r.doctor_phone) if p), _people(r.emergency_contacts),
                _people(r.authorised_people), "oui" if r.photo_consent else "non", "oui" if r.may_leave_alone else "non",
                self.missing(r) if r.status != EnrolmentRequest.Status.ACCEPTED else "",
            ])
        response = HttpResponse(dataset.export("xlsx"),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="dossiers-inscription.xlsx"'
        return response

    @action(description="Imprimer les fiches sanitaires (par école et prestation)", permissions=["view"])
    def print_health_forms(self, request, queryset):
        """For the canteen and care staff: per school and service, each child's health form and the
        people to call or allowed to collect them."""
        groups: dict[tuple, list] = {}
        for r in self._for_export(queryset):
            for requested in r.requested_services.all():
                school = r.child.school.name if r.child.school else "Sans école"
                groups.setdefault((school, requested.service.activity.name), []).append(r)
        context = {"groups": [{"school": school, "service": service, "requests": items}
                              for (school, service), items in sorted(groups.items())],
                   "town_name": settings.TOWN_NAME}
        return HttpResponse(render_to_string("admin_ext/health_forms_print.html", context, request=request))

    def _for_export(self, queryset):
        return (queryset.select_related("campaign__school_year", "child__school", "child__household")
                .prefetch_related("requested_services__service__activity")
                .order_by("child__school__name", "child__last_name", "child__first_name"))

    # --- display --------------------------------------------------------------------------------
    @display(description="Foyer")
    def household(self, obj):
        return obj.child.household

    @display(description="École", ordering="child__school__name")
    def school(self, obj):
        return obj.child.school or "—"

    @display(description="Prestations")
    def services(self, obj):
        parts = []
        for requested in obj.requested_services.all():
            days = requested.weekdays
            label = requested.service.activity.name
            if days:
                label += " (" + ", ".join(dict(WEEKDAYS)[d].lower() for d in days) + ")"
            parts.append(label)
        return " ; ".join(parts) or "—"

    @display(description="Statut", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Documents manquants")
    def missing(self, obj):
        names = [kind.name for kind in er.missing_documents(enrolment_request=obj)]
        return ", ".join(names) or "—"

    @display(description="Documents")
    def documents_list(self, obj):
        from django.urls import reverse

        rows = []
        for entry in er.documents_asked(enrolment_request=obj):
            document = entry["document"]
            need = "obligatoire" if entry["required"] else "facultatif"
            if document is None:
                rows.append((entry["type"].name, need, mark_safe("<strong>manquant</strong>")))
                continue
            url = reverse("admin:core_householddocument_file", args=[document.pk])
            until = f" jusqu'au {document.valid_until:%d/%m/%Y}" if document.valid_until else ""
            preview = (format_html('<br><img src="{}" alt="{}" style="max-width:320px;max-height:240px">', url,
                                   document.original_name)
                       if document.content_type.startswith("image/") else "")
            rows.append((entry["type"].name, need, format_html(
                '<a href="{}" target="_blank" rel="noopener">{}</a> — {}{}{}', url, document.original_name,
                document.get_status_display().lower(), until, preview)))
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} ({}) : {}</li>", rows))

    @display(description="Fiche")
    def health_form(self, obj):
        people = _people

        rows = [
            ("Allergies", obj.allergies or "—"), ("Régime", obj.diet or "—"),
            ("PAI", ("oui" + (f" : {obj.pai_details}" if obj.pai_details else "")) if obj.has_pai else "non"),
            ("Médecin", " ".join(p for p in (obj.doctor_name, obj.doctor_phone) if p) or "—"),
            ("En cas d'urgence", people(obj.emergency_contacts)),
            ("Autorisés à venir chercher l'enfant", people(obj.authorised_people)),
            ("Photos", "autorisées" if obj.photo_consent else "non autorisées"),
            ("Partir seul", "autorisé" if obj.may_leave_alone else "non"),
        ]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt><strong>{}</strong></dt><dd>{}</dd>", rows))
