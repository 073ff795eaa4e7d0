"""Spreadsheet exports (django-import-export) of bookings, invoices and payments, as listed in the admin."""


from import_export import fields, resources, widgets

from admin_ext.resources.widgets import OuiNonWidget
from core.constants import CENT
from core.models import Booking, DebitBatch, Invoice, Mandate, Payment


class BookingResource(resources.ModelResource):
    """Bookings as listed (filter the list on a date range first): export only."""

    date = fields.Field(attribute="date", column_name="jour", widget=widgets.DateWidget("%d/%m/%Y"))
    household = fields.Field(attribute="child__household__reference", column_name="foyer")
    child = fields.Field(attribute="child__full_name", column_name="enfant")
    school = fields.Field(attribute="child__school__name", column_name="ecole")
    grade = fields.Field(attribute="child__grade", column_name="classe")
    activity = fields.Field(attribute="activity__name", column_name="prestation")
    status = fields.Field(column_name="etat")
    source = fields.Field(column_name="origine")
    is_override = fields.Field(attribute="is_override", column_name="hors_delai", widget=OuiNonWidget())

    class Meta:
        model = Booking
        fields = ["date", "household", "child", "school", "grade", "activity", "status", "source", "is_override"]
        export_order = fields

    def dehydrate_status(self, booking):
        return booking.get_status_display()

    def dehydrate_source(self, booking):
        return booking.get_source_display()


class InvoiceResource(resources.ModelResource):
    """Invoices as listed (filter on a month, a status or « à encaisser » first): export only.
    Amounts come from Invoice.objects.with_balance().with_fees() (InvoiceAdmin.get_export_queryset)."""

    number = fields.Field(attribute="number", column_name="numero")
    household = fields.Field(attribute="household_reference", column_name="foyer")
    payer = fields.Field(attribute="payer_name", column_name="redevable")
    payer_email = fields.Field(attribute="payer_email", column_name="email")
    regie = fields.Field(attribute="regie__name", column_name="regie")
    period_start = fields.Field(attribute="period_start", column_name="periode_du", widget=widgets.DateWidget("%d/%m/%Y"))
    period_end = fields.Field(attribute="period_end", column_name="periode_au", widget=widgets.DateWidget("%d/%m/%Y"))
    issue_date = fields.Field(attribute="issue_date", column_name="emise_le", widget=widgets.DateWidget("%d/%m/%Y"))
    due_date = fields.Field(attribute="due_date", column_name="echeance", widget=widgets.DateWidget("%d/%m/%Y"))
    total = fields.Field(attribute="total", column_name="total", widget=widgets.DecimalWidget())
    paid = fields.Field(attribute="paid_amount", column_name="paye", widget=widgets.DecimalWidget())
    fees = fields.Field(attribute="fees_total", column_name="dont_frais_rejet", widget=widgets.DecimalWidget())
    credited = fields.Field(attribute="credited_total", column_name="avoirs", widget=widgets.DecimalWidget())
    balance = fields.Field(column_name="reste_du", widget=widgets.DecimalWidget())
    status = fields.Field(column_name="etat")

    class Meta:
        model = Invoice
        fields = ["number", "household", "payer", "payer_email", "regie", "period_start", "period_end", "issue_date",
                  "due_date", "total", "fees", "paid", "credited", "balance", "status"]
        export_order = fields

    def dehydrate_total(self, invoice):
        return invoice.total

    def dehydrate_fees(self, invoice):
        return invoice.fees_total.quantize(CENT)

    def dehydrate_credited(self, invoice):
        return invoice.credited_amount

    def dehydrate_paid(self, invoice):
        return invoice.paid_amount

    def dehydrate_balance(self, invoice):
        return invoice.balance

    def dehydrate_status(self, invoice):
        return invoice.get_status_display()


class PaymentResource(resources.ModelResource):
    """Payments as listed (filter on a date range, a method or a status first): export only."""

    created_at = fields.Field(column_name="date")
    household = fields.Field(attribute="household__reference", column_name="foyer")
    household_name = fields.Field(attribute="household__name", column_name="nom")
    regie = fields.Field(attribute="regie__name", column_name="regie")
    method = fields.Field(column_name="moyen")
    status = fields.Field(column_name="etat")
    amount = fields.Field(attribute="amount", column_name="montant", widget=widgets.DecimalWidget())
    invoices = fields.Field(column_name="factures")
    reference = fields.Field(column_name="reference")
    numauto = fields.Field(attribute="numauto", column_name="autorisation")

    class Meta:
        model = Payment
        fields = ["created_at", "household", "household_name", "regie", "method", "status", "amount", "invoices",
                  "reference", "numauto"]
        export_order = fields

    def dehydrate_created_at(self, payment):
        from django.utils import timezone

        return timezone.localtime(payment.created_at).strftime("%d/%m/%Y %H:%M")

    def dehydrate_method(self, payment):
        return payment.get_method_display()

    def dehydrate_status(self, payment):
        return payment.get_status_display()

    def dehydrate_invoices(self, payment):
        return " ".join(a.invoice.number for a in payment.allocations.all())

    def dehydrate_reference(self, payment):
        return payment.refdet or payment.reference


class MandateResource(resources.ModelResource):
    """Direct debit mandates as listed (staff only: the full IBAN, as the bank needs it)."""

    rum = fields.Field(attribute="rum", column_name="rum")
    household = fields.Field(attribute="household__reference", column_name="foyer")
    regie = fields.Field(attribute="regie__name", column_name="regie")
    holder_name = fields.Field(attribute="holder_name", column_name="titulaire")
    iban = fields.Field(attribute="iban", column_name="iban")
    bic = fields.Field(attribute="bic", column_name="bic")
    status = fields.Field(column_name="etat")
    signed_on = fields.Field(attribute="signed_on", column_name="signe_le", widget=widgets.DateWidget("%d/%m/%Y"))
    last_debit_on = fields.Field(
        attribute="last_debit_on", column_name="dernier_prelevement", widget=widgets.DateWidget("%d/%m/%Y")
    )
    reject_count = fields.Field(attribute="reject_count", column_name="rejets")

    class Meta:
        model = Mandate
        fields = ["rum", "household", "regie", "holder_name", "iban", "bic", "status", "signed_on", "last_debit_on",
                  "reject_count"]
        export_order = fields

    def dehydrate_status(self, mandate):
        return mandate.get_status_display()


class DebitBatchResource(resources.ModelResource):
    """Debit files as listed: date, count, total and their life."""

    regie = fields.Field(attribute="regie__name", column_name="regie")
    debit_date = fields.Field(attribute="debit_date", column_name="date_prelevement", widget=widgets.DateWidget("%d/%m/%Y"))
    status = fields.Field(column_name="etat")
    debit_count = fields.Field(attribute="debit_count", column_name="prelevements")
    total = fields.Field(attribute="total", column_name="total", widget=widgets.DecimalWidget())
    message_id = fields.Field(attribute="message_id", column_name="identifiant_message")
    created_at = fields.Field(attribute="created_at", column_name="genere_le", widget=widgets.DateTimeWidget("%d/%m/%Y %H:%M"))
    sent_at = fields.Field(attribute="sent_at", column_name="transmis_le", widget=widgets.DateTimeWidget("%d/%m/%Y %H:%M"))
    confirmed_at = fields.Field(
        attribute="confirmed_at", column_name="confirme_le", widget=widgets.DateTimeWidget("%d/%m/%Y %H:%M")
    )

    class Meta:
        model = DebitBatch
        fields = ["regie", "debit_date", "status", "debit_count", "total", "message_id", "created_at", "sent_at",
                  "confirmed_at"]
        export_order = fields

    def dehydrate_status(self, batch):
        return batch.get_status_display()
