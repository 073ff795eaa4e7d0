"""Invoices in the admin: read-only once issued; credit notes, resent emails, reminders and the
hand-over to the Trésor public are actions that call core.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline, StoredPdfMixin
from admin_ext.admin.dialogs import confirm_dialog
from admin_ext.formatting import euros
from admin_ext.resources import InvoiceResource
from core.constants import ZERO
from core.models import CreditNote, Invoice, InvoiceLine, InvoiceReminder, InvoiceRun
from core.services import handover, invoicing, reminders

INVOICE_STATUS_COLOURS = {
    "Brouillon": "warning",
    "À payer": "danger",
    "Paiement en cours": "info",
    "Prélèvement en cours": "info",
    "Payée": "success",
    "Annulée": "default",
    "Transmise au Trésor public": "warning",
}


class CreditNoteForm(BaseDialogForm):
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 3}))
    cancel_all = forms.BooleanField(label="Annuler toute la facture", required=False)

    def __init__(self, request, object_id=None, *args, **kwargs):
        super().__init__(request, object_id, *args, **kwargs)
        self.lines = list(InvoiceLine.objects.filter(invoice_id=object_id).prefetch_related("credit_lines"))
        for line in self.lines:
            left = line.quantity - sum(c.quantity for c in line.credit_lines.all())
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.label} — {'frais' if line.is_fee else 'jours'} à créditer (sur {left})", min_value=0,
                max_value=left, initial=0, required=False,
            )

    def quantities(self):
        if self.cleaned_data.get("cancel_all"):
            return None
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}


class ToCollectFilter(admin.SimpleListFilter):
    title = "à encaisser"
    parameter_name = "a_encaisser"

    def lookups(self, request, model_admin):
        return [("ouvertes", "Factures ouvertes"), ("echues", "Échéance dépassée")]

    def queryset(self, request, queryset):
        if self.value() == "ouvertes":
            return queryset.issued().at_regie()
        if self.value() == "echues":
            return queryset.issued().at_regie().filter(due_date__lt=timezone.localdate())
        return queryset


class InvoiceLineInline(ReadOnlyTabularInline):
    model = InvoiceLine
    fields = ["label", "dates_label", "quantity", "unit_price", "amount"]
    show_title = True


class InvoiceReminderInline(ReadOnlyTabularInline):
    model = InvoiceReminder
    fields = ["sent_at", "kind_label", "balance", "sent_by", "email_status", "letter_link", "note"]
    verbose_name_plural = "relances envoyées"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step", "sent_by", "email_log")

    @display(description="type")
    def kind_label(self, obj):
        return obj.kind_label

    @display(description="email")
    def email_status(self, obj):
        if obj.email_log_id is None:
            return "—"
        url = reverse("admin:core_emaillog_change", args=[obj.email_log_id])
        return format_html('<a href="{}">{}</a>', url, obj.email_log.get_status_display())

    @display(description="lettre")
    def letter_link(self, obj):
        if not obj.letter:
            return "—"
        return format_html('<a href="{}">Télécharger</a>', reverse("admin:core_invoice_reminder_letter", args=[obj.pk]))


class ReminderForm(BaseDialogForm):
    with_letter = forms.BooleanField(label="Joindre la lettre de relance (PDF)", required=False)


class CreditNoteInline(ReadOnlyTabularInline):
    model = CreditNote
    fields = ["number", "issue_date", "reason", "amount"]
    show_change_link = True


class RunFilter(admin.RelatedFieldListFilter):
    """The runs to filter on, with their régie read in the same query (a run's name shows it)."""

    def field_choices(self, field, request, model_admin):
        return [(run.pk, str(run)) for run in InvoiceRun.objects.select_related("regie").order_by("-month", "regie__name")]


@admin.register(Invoice)
class InvoiceAdmin(StoredPdfMixin, ExportMixin, BaseAdmin):
    pdf_filename_prefix = "facture"
    list_display = ["number_or_draft", "household", "payer_name", "period_start", "total_euros", "balance_euros",
                    "status_badge", "due_date"]
    list_filter = [ToCollectFilter, "status", "regie", ("run", RunFilter)]
    search_fields = ["number", "household__reference", "household__name", "payer_name"]
    list_select_related = ["household", "regie"]
    date_hierarchy = "period_start"
    show_full_result_count = False
    inlines = [InvoiceLineInline, CreditNoteInline, InvoiceReminderInline]
    actions = ["resend_emails", "send_reminders", "handover"]
    resource_classes = [InvoiceResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm
    actions_detail = ["credit_invoice", "resend_email", "send_reminder"]
    fields = [
        ("number", "status"), ("household", "regie", "run"), ("period_start", "period_end"),
        ("issue_date", "due_date"), ("total", "balance_euros"), ("payer_name", "payer_email"), "payer_address",
        ("pdf_link", "emailed_at"),
    ]
    readonly_fields = [
        "number", "status", "household", "regie", "run", "period_start", "period_end", "issue_date", "due_date",
        "total", "balance_euros", "payer_name", "payer_email", "payer_address", "pdf_link", "emailed_at",
    ]

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("regie").with_balance().with_fees()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # invoices come from runs; an issued one is corrected by a credit note

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="Numéro", ordering="number")
    def number_or_draft(self, obj):
        return obj.number or "Brouillon"

    @display(description="État", label=INVOICE_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Total", ordering="total")
    def total_euros(self, obj):
        return euros(obj.total)

    def get_queryset(self, request):
        # The balance of each listed invoice from annotations, not two queries per row.
        return super().get_queryset(request).with_balance()

    @display(description="Reste dû", ordering="balance_due")
    def balance_euros(self, obj):
        return euros(obj.balance) if obj.is_issued else "—"

    def has_credit_invoice_permission(self, request, object_id=None):
        if not request.user.has_perm("core.add_creditnote"):
            return False
        return object_id is None or Invoice.objects.filter(pk=object_id, status__in=invoicing.CREDITABLE_STATUSES).exists()

    @action(
        description="Établir un avoir", url_path="avoir", permissions=["credit_invoice"], icon="receipt_long",
        dialog=confirm_dialog(
            "Établir un avoir", "Établir l'avoir",
            "Annulez toute la facture ou indiquez les jours à créditer. Le motif figure sur l'avoir.", CreditNoteForm,
        ),
    )
    def credit_invoice(self, request, form, object_id):
        try:
            note = invoicing.credit_note_create(
                invoice_id=int(object_id), reason=form.cleaned_data["reason"], quantities=form.quantities(), by=request.user
            )
        except invoicing.InvoicingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Avoir n° {note.number} établi ({euros(note.amount)}).")
        return redirect(reverse("admin:core_invoice_change", args=[object_id]))

    def has_resend_email_permission(self, request, object_id=None):
        if not request.user.has_perm("core.change_invoice"):
            return False
        return object_id is None or Invoice.objects.issued().filter(pk=object_id).exclude(payer_email="").exists()

    def has_resend_emails_permission(self, request):
        return self.has_resend_email_permission(request)

    def _resend(self, request, invoice_ids):
        sent, refused = 0, []
        for invoice_id in invoice_ids:
            try:
                invoicing.invoice_resend_email(invoice_id=invoice_id)
            except invoicing.InvoicingError as error:
                refused.append(str(error))
            else:
                sent += 1
        if sent:
            messages.success(request, f"Email de facture renvoyé : {sent} facture{'s' if sent > 1 else ''}.")
        for reason in refused:
            messages.warning(request, reason)

    @action(description="Renvoyer l'email de facture", permissions=["resend_emails"], icon="forward_to_inbox")
    def resend_emails(self, request, queryset):
        self._resend(request, queryset.order_by("number").values_list("pk", flat=True))

    @action(
        description="Renvoyer l'email", url_path="renvoyer-email", permissions=["resend_email"], icon="forward_to_inbox",
        dialog=confirm_dialog(
            "Renvoyer l'email de facture", "Renvoyer",
            "La facture est envoyée de nouveau au redevable, PDF joint. L'envoi figure au journal des emails.",
        ),
    )
    def resend_email(self, request, form, object_id):
        self._resend(request, [int(object_id)])
        return redirect(reverse("admin:core_invoice_change", args=[object_id]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.reminder_letter_view)
        return [path("relance/<int:reminder_id>/lettre/", view, name="core_invoice_reminder_letter"), *super().get_urls()]

    def reminder_letter_view(self, request, reminder_id):
        reminder = InvoiceReminder.objects.select_related("invoice").filter(pk=reminder_id).first()
        if reminder is None or not reminder.letter:
            raise Http404("Lettre introuvable")
        if not self.has_view_permission(request, reminder.invoice):
            raise PermissionDenied
        return FileResponse(reminder.letter.open("rb"), as_attachment=True, content_type="application/pdf",
                            filename=f"lettre-de-relance-{reminder.invoice.number}.pdf")

    def has_send_reminder_permission(self, request, object_id=None):
        return request.user.has_perm("core.change_invoice")

    def has_send_reminders_permission(self, request):
        return self.has_send_reminder_permission(request)

    def _remind(self, request, invoice_ids, *, with_letter):
        sent, refused = 0, []
        for invoice_id in invoice_ids:
            try:
                reminders.reminder_send(invoice_id=invoice_id, with_letter=with_letter, by=request.user)
            except reminders.ReminderError as error:
                refused.append(str(error))
            else:
                sent += 1
        if sent:
            messages.success(request, f"Relance envoyée : {sent} facture{'s' if sent > 1 else ''}.")
        for reason in refused:
            messages.warning(request, reason)

    @action(description="Envoyer une relance", permissions=["send_reminders"], icon="notification_important")
    def send_reminders(self, request, queryset):
        self._remind(request, queryset.order_by("number").values_list("pk", flat=True), with_letter=False)

    @action(
        description="Envoyer une relance", url_path="relance", permissions=["send_reminder"],
        icon="notification_important",
        dialog=confirm_dialog(
            "Envoyer une relance", "Envoyer",
            "Le redevable reçoit un email de relance (la facture jointe). L'envoi figure au journal des "
            "emails et dans les relances de la facture.", ReminderForm,
        ),
    )
    def send_reminder(self, request, form, object_id):
        self._remind(request, [int(object_id)], with_letter=form.cleaned_data.get("with_letter", False))
        return redirect(reverse("admin:core_invoice_change", args=[object_id]))

    def has_handover_permission(self, request):
        return request.user.has_perm("core.add_handoverbatch")

    @action(description="Transmettre au Trésor public", permissions=["handover"], icon="account_balance")
    def handover(self, request, queryset):
        """A confirmation page first (the hand-over cannot be undone), then core.services.handover."""
        if request.POST.get("confirm") != "yes":
            invoices = list(queryset.order_by("number"))
            for invoice in invoices:
                invoice.balance_label = euros(invoice.balance)
            total = euros(sum((invoice.balance for invoice in invoices), ZERO))
            context = {**self.admin_site.each_context(request), "title": "Transmettre au Trésor public",
                       "invoices": invoices, "total": total, "opts": self.model._meta}
            return TemplateResponse(request, "admin/core/invoice/handover_confirm.html", context)
        try:
            batch = handover.handover_create(invoice_ids=queryset.values_list("pk", flat=True), by=request.user)
        except handover.HandoverError as error:
            messages.error(request, str(error))
            return None
        messages.success(
            request, f"{batch.invoice_count} facture(s) transmise(s) au Trésor public ({euros(batch.total_due)})."
        )
        return redirect(reverse("admin:core_handoverbatch_change", args=[batch.pk]))
