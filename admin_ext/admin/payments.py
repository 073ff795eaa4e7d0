"""Payments in the admin: every payment with its state, PayFiP data and history; the attempts in
flight; the anomalies to look at; and the entry of a manual payment (cash, cheque, CESU,
transfer) allocated to invoices. Payments are never edited: views only call core.services.payments."""

import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from admin_ext.resources import PaymentResource
from admin_ext.admin.dialogs import confirm_dialog
from admin_ext.formatting import euros
from core.models import Invoice, Payment, PaymentAllocation, PaymentEvent
from core.services import payments

STATUS_COLOURS = {
    "En cours": "info",
    "Payé": "success",
    "Refusé": "danger",
    "Abandonné": "default",
    "Expiré": "default",
    "Erreur": "danger",
    "Anomalie à vérifier": "warning",
}


class ToReviewFilter(admin.SimpleListFilter):
    title = "à traiter"
    parameter_name = "a_traiter"

    def lookups(self, request, model_admin):
        return [
            ("en_cours", "Paiements en ligne en cours"),
            ("anomalies", "Anomalies non vérifiées"),
            ("a_rembourser", "À rembourser"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "en_cours":
            return queryset.in_flight()
        if self.value() == "anomalies":
            return queryset.filter(status=Payment.Status.MISMATCH, mismatch_reviewed_at__isnull=True)
        if self.value() == "a_rembourser":
            return queryset.to_refund()
        return queryset


class ManualPaymentForm(forms.ModelForm):
    """A manual payment: the invoices are typed by number, as on the cheque stub or the counter slip."""

    invoice_numbers = forms.CharField(
        label="Factures réglées",
        help_text="Numéros de facture séparés par des espaces ou des virgules ; le montant va d'abord "
        "aux plus anciennes échéances. Paiement partiel possible.",
    )
    method = forms.ChoiceField(label="Moyen de paiement", choices=[(m.value, m.label) for m in Payment.MANUAL_METHODS])

    class Meta:
        model = Payment
        fields = ["method", "amount", "received_on", "reference"]
        localized_fields = ["amount"]  # staff type « 65,20 »

    recorded_by = None  # set per request by PaymentAdmin.get_form

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        numbers = [n for n in re.split(r"[\s,;]+", data["invoice_numbers"].strip()) if n]
        invoices = list(Invoice.objects.issued().filter(number__in=numbers).select_related("household"))
        missing = sorted(set(numbers) - {invoice.number for invoice in invoices})
        if missing:
            raise forms.ValidationError(f"Facture(s) introuvable(s) : {', '.join(missing)}.")
        households = {invoice.household_id for invoice in invoices}
        if len(households) != 1:
            raise forms.ValidationError("Un paiement règle les factures d'un seul foyer.")
        try:
            # The service holds every rule; the admin's add view is one transaction around this.
            self.payment = payments.payment_record_manual(
                household=invoices[0].household, method=data["method"], amount=data["amount"],
                invoice_ids=[invoice.pk for invoice in invoices], received_on=data.get("received_on"),
                reference=data.get("reference", ""), by=self.recorded_by,
            )
        except payments.PaymentError as error:
            raise forms.ValidationError(str(error)) from error
        return data


class AllocationInline(ReadOnlyTabularInline):
    model = PaymentAllocation
    fields = ["invoice_link", "household_name", "amount"]
    show_title = True

    @display(description="Facture")
    def invoice_link(self, obj):
        url = reverse("admin:core_invoice_change", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, obj.invoice.number)

    @display(description="Foyer")
    def household_name(self, obj):
        return obj.invoice.household


class EventInline(ReadOnlyTabularInline):
    model = PaymentEvent
    fields = ["at", "kind", "message"]
    show_title = True
    verbose_name_plural = "Historique"


@admin.register(Payment)
class PaymentAdmin(ExportMixin, BaseAdmin):
    form = ManualPaymentForm
    list_display = ["created_at", "household", "method", "status_badge", "amount_euros", "invoice_numbers",
                    "reference_or_refdet", "transaction_at"]
    list_filter = [ToReviewFilter, "status", "method", "regie", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["household__reference", "household__name", "refdet", "idop", "numauto", "reference",
                     "allocations__invoice__number", "payer_email"]
    list_select_related = ["household"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = [AllocationInline, EventInline]
    actions_detail = ["check_with_payfip", "record_refund", "review_mismatch"]
    resource_classes = [PaymentResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm
    readonly_fields = [
        "household", "regie", "guardian", "payer_email", "method", "status_badge", "amount_euros", "reference",
        "received_on", "recorded_by", "created_at", "concluded_at", "refdet", "numcli", "idop", "resultrans",
        "numauto", "saisie", "transaction_at", "last_checked_at", "check_count", "watch_until", "detail_table", "error",
        "mismatch", "mismatch_reviewed_at", "refund_badge", "refunded_at", "refunded_by",
    ]
    fieldsets = [
        (None, {"fields": [("household", "regie"), ("method", "status_badge", "amount_euros"),
                           ("guardian", "payer_email"), ("reference", "received_on", "recorded_by"),
                           ("created_at", "concluded_at")]}),
        ("Anomalie", {"fields": ["mismatch", "mismatch_reviewed_at", "error"]}),
        ("Remboursement", {"fields": [("refund_badge", "refunded_at", "refunded_by")]}),
        ("PayFiP", {"fields": [("refdet", "numcli", "idop"), ("resultrans", "numauto", "saisie", "transaction_at"),
                               ("last_checked_at", "check_count", "watch_until"), "detail_table"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allocations__invoice")

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("household", "regie")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["invoice_numbers", ("method", "amount"), ("received_on", "reference")]})]
        sections = list(self.fieldsets)
        if not obj.is_online:
            sections = [s for s in sections if s[0] != "PayFiP"]
        if not (obj.mismatch or obj.error):
            sections = [s for s in sections if s[0] != "Anomalie"]
        if not obj.refund_due:
            sections = [s for s in sections if s[0] != "Remboursement"]
        return sections

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return type("ManualPaymentFormFor", (form,), {"recorded_by": request.user})
        return form

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        for field in Payment._meta.concrete_fields:
            setattr(obj, field.attname, getattr(form.payment, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        pass  # allocations were made by the service

    # --- display --------------------------------------------------------------------------------
    @display(description="État", label=STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Remboursement", label={"À rembourser": "danger", "Remboursé": "success"})
    def refund_badge(self, obj):
        if not obj.refund_due:
            return "—"
        return "À rembourser" if obj.refunded_at is None else "Remboursé"

    @display(description="Montant", ordering="amount")
    def amount_euros(self, obj):
        return euros(obj.amount)

    @display(description="Factures")
    def invoice_numbers(self, obj):
        return ", ".join(a.invoice.number for a in obj.allocations.all())

    @display(description="Référence")
    def reference_or_refdet(self, obj):
        return obj.refdet or obj.reference or "—"

    @display(description="Détail rendu par PayFiP")
    def detail_table(self, obj):
        if not obj.detail:
            return "—"
        rows = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", sorted(obj.detail.items()))
        return format_html("<table>{}</table>", rows)

    # --- actions --------------------------------------------------------------------------------
    def has_check_with_payfip_permission(self, request, object_id=None):
        if not request.user.has_perm("core.view_payment"):
            return False
        asked = Payment.objects.in_flight() | Payment.objects.watched(now=timezone.now())
        return object_id is None or asked.filter(pk=object_id).exists()

    @action(description="Interroger PayFiP", url_path="interroger", permissions=["check_with_payfip"], icon="sync")
    def check_with_payfip(self, request, object_id):
        payment = payments.payment_check(payment_id=int(object_id), source="régie")
        messages.info(request, f"État du paiement : {payment.get_status_display().lower()}.")
        return redirect(reverse("admin:core_payment_change", args=[object_id]))

    def _may_review(self, request, object_id, payments_to_review):
        """Recording what the régie did about a payment needs `add_payment`; on a payment's page,
        that the payment is among `payments_to_review`."""
        if not request.user.has_perm("core.add_payment"):
            return False
        return object_id is None or payments_to_review.filter(pk=object_id).exists()

    def _record_review(self, request, object_id, service, done):
        """Record with `service` what staff did about the payment, say `done`, go back to it."""
        service(payment_id=int(object_id), by=request.user, now=timezone.now())
        messages.success(request, done)
        return redirect(reverse("admin:core_payment_change", args=[object_id]))

    def has_record_refund_permission(self, request, object_id=None):
        return self._may_review(request, object_id, Payment.objects.to_refund())

    @action(
        description="Marquer comme remboursé", url_path="rembourse", permissions=["record_refund"],
        icon="currency_exchange", variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Marquer le paiement comme remboursé", "Marquer comme remboursé",
            "PayFiP a encaissé ce paiement pour des factures déjà réglées : remboursez le payeur "
            "(mandat de remboursement) puis enregistrez-le ici. La date et votre nom sont conservés.",
        ),
    )
    def record_refund(self, request, form, object_id):
        return self._record_review(request, object_id, payments.payment_refund_record, "Remboursement enregistré.")

    def has_review_mismatch_permission(self, request, object_id=None):
        unreviewed = Q(status=Payment.Status.MISMATCH, mismatch_reviewed_at__isnull=True)
        return self._may_review(request, object_id, Payment.objects.filter(unreviewed))

    @action(
        description="Anomalie vérifiée", url_path="anomalie-verifiee", permissions=["review_mismatch"],
        icon="task_alt", variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Marquer l'anomalie comme vérifiée", "Marquer comme vérifiée",
            "Le paiement reste non payé. Régularisez si besoin (remboursement, paiement manuel) "
            "avant de le marquer comme vérifié.",
        ),
    )
    def review_mismatch(self, request, form, object_id):
        return self._record_review(request, object_id, payments.payment_mismatch_review, "Anomalie marquée comme vérifiée.")
