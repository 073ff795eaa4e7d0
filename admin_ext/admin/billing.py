"""Invoicing in the admin: runs (create → draft computed in the background → review → Émettre)
and credit notes, read-only once issued (the invoices themselves: admin_ext/admin/invoices.py).
Views only call core.services.invoicing."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline, StoredPdfMixin
from admin_ext.admin.dialogs import confirm_dialog
from admin_ext.formatting import euros
from core.models import CreditNote, CreditNoteLine, InvoiceRun
from core.services import invoicing

RUN_STATUS_COLOURS = {
    "Brouillon en calcul": "info",
    "Brouillon": "warning",
    "Échec du calcul": "danger",
    "Émission en cours": "info",
    "Émise": "success",
}


class InvoiceRunForm(forms.ModelForm):
    class Meta:
        model = InvoiceRun
        fields = ["regie", "month", "due_date"]
        help_texts = {"month": "N'importe quel jour du mois à facturer."}

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)


@admin.register(InvoiceRun)
class InvoiceRunAdmin(BaseAdmin):
    form = InvoiceRunForm
    list_display = ["__str__", "status_badge", "invoice_count", "total_euros", "progress", "issued_at", "issued_by"]
    list_filter = ["status", "regie"]
    list_select_related = ["regie", "issued_by"]
    date_hierarchy = "month"
    actions_detail = ["issue_run", "recompute_run", "discard_run"]
    readonly_fields = [
        "regie", "month", "status_badge", "progress", "due_date", "invoice_count", "total_euros", "error",
        "created_by", "created_at", "computed_at", "issued_by", "issued_at", "delivered_at", "review",
    ]
    fieldsets = [
        (None, {"fields": [("regie", "month"), ("status_badge", "progress"), ("invoice_count", "total_euros"), "due_date", "error"]}),
        ("Contrôle avant émission", {"fields": ["review"]}),
        ("Historique", {"classes": ["collapse"], "fields": [
            ("created_by", "created_at", "computed_at"), ("issued_by", "issued_at", "delivered_at"),
        ]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["regie", "month", "due_date"]})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A run is never edited through a form: it moves only through the actions below.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        run = invoicing.invoice_run_create(
            regie=obj.regie, month=obj.month, by=request.user, due_date=obj.due_date
        )
        obj.pk, obj.status, obj.created_at = run.pk, run.status, run.created_at

    # --- display --------------------------------------------------------------------------------
    @display(description="État", label=RUN_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Montant total")
    def total_euros(self, obj):
        return euros(obj.total_amount)

    @display(description="Avancement")
    def progress(self, obj):
        busy = obj.status in (InvoiceRun.Status.COMPUTING, InvoiceRun.Status.ISSUING)
        return render_to_string("admin_ext/billing/run_progress.html", {"run": obj, "busy": busy})

    @display(description="Contrôle")
    def review(self, obj):
        if obj.status == InvoiceRun.Status.COMPUTING:
            return "Le brouillon est en cours de calcul."
        context = invoicing.invoice_run_review(run=obj)
        context["invoice_list_url"] = reverse("admin:core_invoice_changelist") + f"?run__id__exact={obj.pk}"
        return render_to_string("admin_ext/billing/run_review.html", context)

    # --- actions --------------------------------------------------------------------------------
    def _can_act(self, request, object_id, statuses):
        if not request.user.has_perm("core.change_invoicerun"):
            return False
        if object_id is None:
            return True
        return InvoiceRun.objects.filter(pk=object_id, status__in=statuses).exists()

    def has_issue_run_permission(self, request, object_id=None):
        return self._can_act(request, object_id, [InvoiceRun.Status.DRAFT, InvoiceRun.Status.ISSUING])

    def has_recompute_run_permission(self, request, object_id=None):
        return self._can_act(request, object_id, [InvoiceRun.Status.DRAFT, InvoiceRun.Status.FAILED])

    def has_discard_run_permission(self, request, object_id=None):
        statuses = [InvoiceRun.Status.DRAFT, InvoiceRun.Status.FAILED, InvoiceRun.Status.COMPUTING]
        return self._can_act(request, object_id, statuses)

    def _run_action(self, request, object_id, service, success):
        try:
            service(run_id=int(object_id))
        except invoicing.InvoicingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success)
        return redirect(reverse("admin:core_invoicerun_change", args=[object_id]))

    @action(
        description="Émettre", url_path="emettre", permissions=["issue_run"], icon="send", variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Émettre les factures", "Émettre",
            "Les factures reçoivent leur numéro définitif et ne pourront plus être modifiées "
            "(seulement corrigées par un avoir). Les PDF et les emails partent ensuite en arrière-plan.",
        ),
    )
    def issue_run(self, request, form, object_id):
        def issue(*, run_id):
            invoicing.invoice_run_issue(run_id=run_id, by=request.user)

        return self._run_action(request, object_id, issue, "Campagne émise : PDF et emails en cours d'envoi.")

    @action(
        description="Recalculer", url_path="recalculer", permissions=["recompute_run"], icon="refresh",
        dialog=confirm_dialog("Recalculer le brouillon", "Recalculer"),
    )
    def recompute_run(self, request, form, object_id):
        return self._run_action(request, object_id, invoicing.invoice_run_recompute, "Recalcul du brouillon lancé.")

    @action(
        description="Abandonner", url_path="abandonner", permissions=["discard_run"], icon="delete",
        variant=ActionVariant.DANGER,
        dialog=confirm_dialog("Abandonner ce brouillon", "Abandonner"),
    )
    def discard_run(self, request, form, object_id):
        try:
            invoicing.invoice_run_discard(run_id=int(object_id))
        except invoicing.InvoicingError as error:
            messages.error(request, str(error))
            return redirect(reverse("admin:core_invoicerun_change", args=[object_id]))
        messages.success(request, "Brouillon abandonné.")
        return redirect(reverse("admin:core_invoicerun_changelist"))


class CreditNoteLineInline(ReadOnlyTabularInline):
    model = CreditNoteLine
    fields = ["label", "quantity", "unit_price", "amount"]


@admin.register(CreditNote)
class CreditNoteAdmin(StoredPdfMixin, BaseAdmin):
    pdf_filename_prefix = "avoir"
    list_display = ["number", "invoice", "issue_date", "amount", "is_cancellation", "created_by"]
    list_filter = ["regie", "is_cancellation"]
    search_fields = ["number", "invoice__number", "invoice__household__reference"]
    list_select_related = ["invoice", "created_by"]
    inlines = [CreditNoteLineInline]
    readonly_fields = ["number", "regie", "invoice", "issue_date", "reason", "amount", "is_cancellation", "created_by",
                       "created_at", "pdf_link"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
