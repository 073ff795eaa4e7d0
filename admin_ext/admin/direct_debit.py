"""Direct debit in the admin: mandates (validate, change of account, revoke), the pain.008 files
(generate, download, mark sent, confirm) and each debit (record a bank reject). Nothing here is
edited through a generic form: every action calls core.services.mandates or direct_debit."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from admin_ext.admin.dialogs import confirm_dialog
from admin_ext.formatting import euros
from admin_ext.resources import DebitBatchResource, MandateResource
from core.models import DebitBatch, DirectDebit, InvoiceLine, Mandate
from core.services import direct_debit, mandates

MANAGE_BATCHES = "core.manage_debitbatch"

MANDATE_STATUS_COLOURS = {
    "En attente de validation": "warning",
    "Actif": "success",
    "Suspendu après rejets": "danger",
    "Révoqué": "default",
    "Caduc (36 mois sans prélèvement)": "default",
}
BATCH_STATUS_COLOURS = {"Fichier généré": "warning", "Transmis à la banque": "info", "Encaissement confirmé": "success"}
DEBIT_STATUS_COLOURS = {"Prévu": "info", "Transmis": "info", "Encaissé": "success", "Rejeté": "danger", "Annulé": "default"}


class ValidateMandateForm(BaseDialogForm):
    signed_on = forms.DateField(label="Date de signature du mandat", initial=timezone.localdate)


class AmendMandateForm(BaseDialogForm):
    holder_name = forms.CharField(label="Titulaire du compte", max_length=70)
    iban = forms.CharField(label="Nouvel IBAN", max_length=42)


class ReasonForm(BaseDialogForm):
    reason = forms.CharField(label="Motif", max_length=200)


class GenerateBatchForm(BaseDialogForm):
    regie = forms.ModelChoiceField(label="Régie", queryset=mandates.regies_offering_direct_debit(), empty_label=None)
    debit_date = forms.DateField(label="Date de prélèvement")

    def __init__(self, request, object_id=None, *args, **kwargs):
        super().__init__(request, object_id, *args, **kwargs)
        upcoming = (
            DirectDebit.objects.filter(status=DirectDebit.Status.SCHEDULED, batch__isnull=True)
            .order_by("debit_date").values_list("debit_date", flat=True).first()
        )
        if upcoming:
            self.fields["debit_date"].initial = upcoming
            self.fields["debit_date"].help_text = f"Prochains prélèvements prévus : le {upcoming:%d/%m/%Y}."


class RejectForm(BaseDialogForm):
    code = forms.ChoiceField(
        label="Motif du rejet (code R)", choices=[(code, f"{code} — {label}") for code, label in direct_debit.REJECT_REASONS.items()]
    )


@admin.register(Mandate)
class MandateAdmin(ExportMixin, BaseAdmin):
    list_display = ["rum", "household", "regie", "holder_name", "iban", "status_badge", "signed_on", "last_debit_on",
                    "reject_count"]
    list_filter = ["status", "regie", "signature"]
    search_fields = ["rum", "household__reference", "household__name", "holder_name"]
    list_select_related = ["household", "regie"]
    resource_classes = [MandateResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm
    actions_detail = ["validate_mandate", "amend_mandate", "revoke_mandate"]
    fields = [
        ("rum", "status"), ("household", "regie"), ("holder_name", "iban", "bic"), ("signature", "signed_on"),
        ("requested_at", "requested_by"), ("validated_at", "validated_by"), ("needs_first", "last_debit_on"),
        ("original_iban", "amended_at"), ("reject_count", "ended_at", "end_reason"),
    ]
    readonly_fields = [name for row in fields for name in (row if isinstance(row, tuple) else (row,))]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # mandates move only through the actions below

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="État", label=MANDATE_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    def _can(self, request, object_id, statuses):
        if not request.user.has_perm("core.change_mandate"):
            return False
        return object_id is None or Mandate.objects.filter(pk=object_id, status__in=statuses).exists()

    def has_validate_mandate_permission(self, request, object_id=None):
        return self._can(request, object_id, [Mandate.Status.PENDING, Mandate.Status.SUSPENDED])

    def has_amend_mandate_permission(self, request, object_id=None):
        return self._can(request, object_id, Mandate.LIVE_STATUSES)

    def has_revoke_mandate_permission(self, request, object_id=None):
        return self._can(request, object_id, Mandate.LIVE_STATUSES)

    def _act(self, request, object_id, call, success):
        try:
            call()
        except mandates.MandateError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success)
        return redirect(reverse("admin:core_mandate_change", args=[object_id]))

    @action(
        description="Valider le mandat", url_path="valider", permissions=["validate_mandate"], icon="verified",
        variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Valider le mandat signé", "Valider",
            "Le prélèvement s'appliquera aux factures de la prochaine campagne émise.", ValidateMandateForm,
        ),
    )
    def validate_mandate(self, request, form, object_id):
        return self._act(
            request, object_id,
            lambda: mandates.mandate_validate(mandate_id=int(object_id), by=request.user, signed_on=form.cleaned_data["signed_on"]),
            "Mandat validé : il s'applique dès la prochaine campagne de facturation.",
        )

    @action(
        description="Changer de compte", url_path="modifier-compte", permissions=["amend_mandate"], icon="edit",
        dialog=confirm_dialog(
            "Changer le compte prélevé", "Enregistrer",
            "Le mandat garde sa référence (RUM) ; le prochain fichier transmet la modification à la banque.", AmendMandateForm,
        ),
    )
    def amend_mandate(self, request, form, object_id):
        return self._act(
            request, object_id,
            lambda: mandates.mandate_amend(
                mandate_id=int(object_id), holder_name=form.cleaned_data["holder_name"], iban=form.cleaned_data["iban"]
            ),
            "Compte modifié.",
        )

    @action(
        description="Révoquer", url_path="revoquer", permissions=["revoke_mandate"], icon="block",
        variant=ActionVariant.DANGER,
        dialog=confirm_dialog(
            "Révoquer le mandat", "Révoquer",
            "Les prélèvements non encore transmis sont annulés : ces factures se paieront en ligne ou en mairie.", ReasonForm,
        ),
    )
    def revoke_mandate(self, request, form, object_id):
        return self._act(
            request, object_id,
            lambda: mandates.mandate_revoke(mandate_id=int(object_id), reason=form.cleaned_data["reason"], by=request.user),
            "Mandat révoqué.",
        )


class DebitInline(ReadOnlyTabularInline):
    model = DirectDebit
    fields = ["invoice", "mandate", "amount", "sequence_type", "status", "reject_code"]
    show_change_link = True


@admin.register(DebitBatch)
class DebitBatchAdmin(ExportMixin, BaseAdmin):
    list_display = ["__str__", "status_badge", "debit_count", "total_euros", "created_at", "sent_at", "confirmed_at"]
    list_filter = ["status", "regie"]
    list_select_related = ["regie"]
    date_hierarchy = "debit_date"
    inlines = [DebitInline]
    resource_classes = [DebitBatchResource]
    formats = [XLSX, CSV]
    export_form_class = ExportForm
    actions_list = ["generate_batch"]
    actions_detail = ["mark_sent", "confirm_batch"]
    fields = [("regie", "debit_date"), ("status", "debit_count", "total"), ("message_id", "file_link"),
              ("created_at", "created_by"), ("sent_at", "sent_by"), ("confirmed_at", "confirmed_by")]
    readonly_fields = ["regie", "debit_date", "status", "debit_count", "total", "message_id", "file_link", "created_at",
                       "created_by", "sent_at", "sent_by", "confirmed_at", "confirmed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.file_view)
        return [path("<path:object_id>/fichier/", view, name="core_debitbatch_file")] + super().get_urls()

    def file_view(self, request, object_id):
        """The pain.008 file, for the régisseur to send to the bank or the DGFiP."""
        if not request.user.has_perm(MANAGE_BATCHES):
            raise PermissionDenied
        batch = self.get_object(request, unquote(object_id))
        if batch is None or not batch.file:
            raise Http404("Fichier introuvable")
        return FileResponse(batch.file.open("rb"), as_attachment=True, content_type="application/xml",
                            filename=f"prelevements-{batch.regie.invoice_prefix}-{batch.debit_date:%Y%m%d}-{batch.pk}.xml")

    @display(description="Fichier pain.008")
    def file_link(self, obj):
        if not obj.file:
            return "—"
        return format_html('<a href="{}">Télécharger le fichier</a>', reverse("admin:core_debitbatch_file", args=[obj.pk]))

    @display(description="État", label=BATCH_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Montant", ordering="total")
    def total_euros(self, obj):
        return euros(obj.total)

    def _can(self, request, object_id, status):
        if not request.user.has_perm(MANAGE_BATCHES):
            return False
        return object_id is None or DebitBatch.objects.filter(pk=object_id, status=status).exists()

    def has_generate_batch_permission(self, request, object_id=None):
        return request.user.has_perm(MANAGE_BATCHES)

    def has_mark_sent_permission(self, request, object_id=None):
        return self._can(request, object_id, DebitBatch.Status.GENERATED)

    def has_confirm_batch_permission(self, request, object_id=None):
        return self._can(request, object_id, DebitBatch.Status.SENT)

    @action(
        description="Générer un fichier de prélèvements", url_path="generer", permissions=["generate_batch"],
        icon="note_add", variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Générer le fichier pain.008", "Générer",
            "Tous les prélèvements prévus de la régie à cette date, un lot par type de séquence "
            "(premier, récurrent). Le fichier est vérifié avec le schéma pain.008.", GenerateBatchForm,
        ),
    )
    def generate_batch(self, request, form):
        try:
            batch = direct_debit.debit_batch_create(
                regie=form.cleaned_data["regie"], debit_date=form.cleaned_data["debit_date"], by=request.user
            )
        except direct_debit.DirectDebitError as error:
            messages.error(request, str(error))
            return redirect(reverse("admin:core_debitbatch_changelist"))
        messages.success(request, f"Fichier généré : {batch.debit_count} prélèvement(s), {euros(batch.total)}.")
        return redirect(reverse("admin:core_debitbatch_change", args=[batch.pk]))

    def _act(self, request, object_id, call, success):
        try:
            call()
        except direct_debit.DirectDebitError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success)
        return redirect(reverse("admin:core_debitbatch_change", args=[object_id]))

    @action(
        description="Marquer transmis", url_path="transmis", permissions=["mark_sent"], icon="send",
        dialog=confirm_dialog(
            "Fichier transmis à la banque", "Marquer transmis",
            "Les factures du lot passent « Prélèvement en cours ».",
        ),
    )
    def mark_sent(self, request, form, object_id):
        return self._act(
            request, object_id, lambda: direct_debit.debit_batch_mark_sent(batch_id=int(object_id), by=request.user),
            "Lot transmis : ses factures sont en prélèvement.",
        )

    @action(
        description="Confirmer l'encaissement", url_path="confirmer", permissions=["confirm_batch"], icon="task_alt",
        variant=ActionVariant.PRIMARY,
        dialog=confirm_dialog(
            "Confirmer l'encaissement du lot", "Confirmer",
            "Chaque prélèvement non rejeté devient un paiement « Prélèvement » et sa facture est payée. "
            "Un rejet reçu ensuite peut toujours être saisi sur le prélèvement.",
        ),
    )
    def confirm_batch(self, request, form, object_id):
        return self._act(
            request, object_id, lambda: direct_debit.debit_batch_confirm(batch_id=int(object_id), by=request.user),
            "Encaissement confirmé : les factures sont payées.",
        )


class RejectedThisMonthFilter(admin.SimpleListFilter):
    title = "rejets"
    parameter_name = "rejets"

    def lookups(self, request, model_admin):
        return [("mois", "Rejets du mois")]

    def queryset(self, request, queryset):
        if self.value() == "mois":
            start = timezone.localdate().replace(day=1)
            return queryset.filter(status=DirectDebit.Status.REJECTED, rejected_at__date__gte=start)
        return queryset


@admin.register(DirectDebit)
class DirectDebitAdmin(BaseAdmin):
    list_display = ["invoice", "household", "amount_euros", "debit_date", "sequence_type", "status_badge", "reject_label",
                    "batch"]
    list_filter = [RejectedThisMonthFilter, "status", "sequence_type", "invoice__regie"]
    search_fields = ["invoice__number", "invoice__household__reference", "mandate__rum"]
    list_select_related = ["invoice__household", "batch__regie", "mandate"]
    date_hierarchy = "debit_date"
    actions_detail = ["record_reject"]
    fields = [("invoice", "mandate", "batch"), ("amount", "debit_date", "sequence_type"), ("status", "end_to_end_id"),
              ("reject_label", "reject_fee", "rejected_at"), ("fee_billed_on", "payment")]
    readonly_fields = ["invoice", "mandate", "batch", "amount", "debit_date", "sequence_type", "status", "end_to_end_id",
                       "reject_label", "reject_fee", "rejected_at", "fee_billed_on", "payment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @display(description="Foyer")
    def household(self, obj):
        return obj.invoice.household

    @display(description="Montant", ordering="amount")
    def amount_euros(self, obj):
        return euros(obj.amount)

    @display(description="État", label=DEBIT_STATUS_COLOURS)
    def status_badge(self, obj):
        return obj.get_status_display()

    @display(description="Motif de rejet")
    def reject_label(self, obj):
        if not obj.reject_code:
            return "—"
        return f"{obj.reject_code} — {direct_debit.REJECT_REASONS.get(obj.reject_code, '')}"

    @display(description="Frais facturés sur")
    def fee_billed_on(self, obj):
        if not obj.reject_fee:
            return "—"
        line = InvoiceLine.objects.select_related("invoice").filter(rejected_debit=obj).first()
        if line is None:
            return "la prochaine facture du foyer"
        invoice = line.invoice
        return str(invoice) if invoice.is_issued else f"{invoice} (campagne en brouillon)"

    def has_record_reject_permission(self, request, object_id=None):
        if not request.user.has_perm("core.change_directdebit"):
            return False
        statuses = [DirectDebit.Status.SENT, DirectDebit.Status.COLLECTED]
        return object_id is None or DirectDebit.objects.filter(pk=object_id, status__in=statuses).exists()

    @action(
        description="Enregistrer un rejet", url_path="rejet", permissions=["record_reject"], icon="report",
        variant=ActionVariant.DANGER,
        dialog=confirm_dialog(
            "Enregistrer le rejet de la banque", "Enregistrer le rejet",
            "La facture redevient payable en ligne ; la famille reçoit un email avec le motif. Les frais de rejet "
            "de la régie (sauf erreur du créancier : AG02, AM05, BE05) figureront sur la prochaine facture du foyer ; "
            "le mandat est suspendu au-delà du nombre de rejets permis.", RejectForm,
        ),
    )
    def record_reject(self, request, form, object_id):
        try:
            direct_debit.direct_debit_reject(debit_id=int(object_id), code=form.cleaned_data["code"], by=request.user)
        except direct_debit.DirectDebitError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Rejet enregistré : la famille est prévenue par email.")
        return redirect(reverse("admin:core_directdebit_change", args=[object_id]))

