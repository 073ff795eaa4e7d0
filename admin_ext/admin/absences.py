from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, When
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.widgets import UnfoldAdminRadioSelectWidget, UnfoldAdminTextareaWidget

from admin_ext.admin.base import BaseAdmin
from core.models import AbsenceDeclaration, AbsenceReason
from core.services.absences import absence_day_labels, absence_review

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
        return cleaned


@admin.register(AbsenceDeclaration)
class AbsenceDeclarationAdmin(BaseAdmin):
    """Pending absences to review, oldest first; staff accept or refuse on the record's page."""

    list_display = ["declared_at", "child", "household", "start", "end", "reason", "day_count", "status", "reviewed_by"]
    list_filter = ["status", "reason", ("start", RangeDateFilter)]
    search_fields = ["child__first_name", "child__last_name", "child__household__reference", "child__household__name"]
    list_select_related = ["child__household", "reason", "reviewed_by"]
    readonly_fields = [
        "child", "start", "end", "day_list", "reason", "comment", "status", "declared_at", "declared_by", "reviewed_at",
        "reviewed_by", "refusal_reason",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("days")

    def get_ordering(self, request):
        # The pending ones first, the oldest first.
        return [Case(When(status=AbsenceDeclaration.Status.PENDING, then=0), default=1).asc(), "declared_at"]

    @admin.display(description="foyer")
    def household(self, declaration):
        return declaration.child.household

    @admin.display(description="jours")
    def day_count(self, declaration):
        return len(declaration.days.all())

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
