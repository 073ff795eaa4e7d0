from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, When
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.widgets import UnfoldAdminRadioSelectWidget, UnfoldAdminTextareaWidget

from admin_ext.admin.base import BaseAdmin
from core.constants import PARIS
from core.models import AbsenceDeclaration, AbsenceReason
from core.services.absences import absence_day_labels, absence_review, certificate_missing_message
from core.services.documents import document_file_response

State = AbsenceDeclaration.CertificateState

DECISIONS = [("accept", "Accepter : jours non facturés (absence justifiée)"), ("refuse", "Refuser : jours facturés")]


class AbsenceReviewForm(forms.ModelForm):
    """The review of a pending declaration: the decision goes through core.services.absences."""

    decision = forms.ChoiceField(label="Décision", choices=DECISIONS, widget=UnfoldAdminRadioSelectWidget)
    refusal = forms.CharField(
        label="Motif du refus (envoyé à la famille)", required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3})
    )

    class Meta:
        model = AbsenceDeclaration
        fields = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not cleaned.get("refusal", "").strip():
            self.add_error("refusal", "Indiquez le motif du refus : il est envoyé à la famille.")
        if cleaned.get("decision") == "accept" and self.instance.certificate_missing:
            self.add_error("decision", certificate_missing_message(self.instance))
        return cleaned


class CertificateFilter(admin.SimpleListFilter):
    title = "certificat médical"
    parameter_name = "certificat"

    def lookups(self, request, model_admin):
        return [("recu", "Reçu"), ("attendu", "Exigé, pas encore reçu"), ("non-exige", "Non exigé")]

    def queryset(self, request, queryset):
        if self.value() == "recu":
            return queryset.filter(certificate__isnull=False)
        if self.value() == "attendu":
            return queryset.filter(certificate_required=True, certificate__isnull=True)
        if self.value() == "non-exige":
            return queryset.filter(certificate_required=False, certificate__isnull=True)
        return queryset


@admin.register(AbsenceDeclaration)
class AbsenceDeclarationAdmin(BaseAdmin):
    """Pending absences to review, oldest first; staff accept or refuse on the record's page."""

    list_display = [
        "declared_at", "child", "household", "start", "end", "reason", "day_count", "certificate_column", "status",
        "reviewed_by",
    ]
    list_filter = ["status", CertificateFilter, "reason", ("start", RangeDateFilter)]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference", "child__household__name"]
    list_select_related = ["child__household", "reason", "reviewed_by"]
    readonly_fields = [
        "child", "start", "end", "day_list", "reason", "comment", "certificate_preview", "status", "declared_at",
        "declared_by", "reviewed_at", "reviewed_by", "refusal_reason",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("certificate").prefetch_related("days")

    def get_ordering(self, request):
        # The pending ones first, the oldest first.
        return [Case(When(status=AbsenceDeclaration.Status.PENDING, then=0), default=1).asc(), "declared_at"]

    @admin.display(description="foyer")
    def household(self, declaration):
        return declaration.child.household

    @admin.display(description="jours")
    def day_count(self, declaration):
        return len(declaration.days.all())

    @admin.display(description="certificat médical")
    def certificate_column(self, declaration):
        state = declaration.certificate_state(today=timezone.now().astimezone(PARIS).date())
        if state == State.AWAITED:
            return f"Attendu (jusqu'au {declaration.certificate_due:%d/%m/%Y})"
        if state == State.NOT_REQUIRED:
            return "—"
        return state.label

    @admin.display(description="certificat médical")
    def certificate_preview(self, declaration):
        """The certificate shown in the page (an image, or the PDF in a frame), with a link to open it."""
        if declaration.certificate_id is None:
            state = declaration.certificate_state(today=timezone.now().astimezone(PARIS).date())
            if state == State.NOT_REQUIRED:
                return "Non exigé par la règle des prestations, et non envoyé."
            if state == State.OVERDUE:
                return (
                    f"Exigé, non reçu : le délai de la famille est passé le {declaration.certificate_due:%d/%m/%Y}. "
                    "Vous pouvez refuser l'absence (les jours restent facturés)."
                )
            return (
                f"Exigé, pas encore reçu : la famille peut l'ajouter jusqu'au {declaration.certificate_due:%d/%m/%Y} "
                f"({settings.ABSENCE_CERTIFICATE_DAYS} jours après la déclaration). Sans lui, l'absence ne peut pas "
                "être acceptée."
            )
        certificate = declaration.certificate
        url = reverse("admin:core_absencedeclaration_certificate", args=[declaration.pk])
        name = f"Certificat médical de {declaration.child.full_name}"
        if certificate.content_type == "application/pdf":
            shown = format_html(
                '<iframe src="{}" title="{}" style="width:100%;max-width:48rem;height:36rem;border:1px solid #d1d5db">'
                "</iframe>", url, name,
            )
        else:
            shown = format_html(
                '<img src="{}" alt="{}" style="max-width:100%;max-height:36rem;border:1px solid #d1d5db">', url, name
            )
        return format_html(
            '{}<p><a href="{}" target="_blank" rel="noopener">Ouvrir « {} » dans un nouvel onglet</a></p>',
            shown, url, certificate.original_name,
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.certificate_view)
        return [
            path("<path:object_id>/certificat/", view, name="core_absencedeclaration_certificate"),
            *super().get_urls(),
        ]

    def certificate_view(self, request, object_id):
        """The certificate's file, for staff who may view absences; framed by the review page only."""
        declaration = self.get_object(request, unquote(object_id))
        if declaration is None or declaration.certificate_id is None:
            raise Http404("Certificat introuvable")
        if not self.has_view_permission(request, declaration):
            raise PermissionDenied
        response = document_file_response(declaration.certificate, download="telecharger" in request.GET)
        # Shown in a frame of the admin page itself: its own origin may frame it, nobody else.
        response._csp_config = {
            "default-src": [CSP.NONE], "img-src": [CSP.SELF], "object-src": [CSP.SELF], "frame-ancestors": [CSP.SELF],
        }
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @admin.display(description="jours concernés")
    def day_list(self, declaration):
        return format_html_join(mark_safe("<br>"), "{}", ((label,) for label in absence_day_labels(declaration)))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status == AbsenceDeclaration.Status.PENDING:
            kwargs["form"] = AbsenceReviewForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.readonly_fields})]
        if obj is not None and obj.status == AbsenceDeclaration.Status.PENDING:
            fieldsets.append(("Décision", {"fields": ["decision", "refusal"]}))
        return fieldsets

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == AbsenceDeclaration.Status.PENDING)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            absence_review(
                declaration_id=obj.pk, accept=data["decision"] == "accept", refusal_reason=data.get("refusal", ""),
                staff_user=request.user,
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass  # nothing else is written here: the decision was made by the service


@admin.register(AbsenceReason)
class AbsenceReasonAdmin(BaseAdmin):
    list_display = ["label", "position", "is_active"]
    list_editable = ["position", "is_active"]
