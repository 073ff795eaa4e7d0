"""Invoicing: monthly runs, invoices and their lines, credit notes, and the number counters."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from core.constants import CENT, ZERO


class IssuedDocumentError(ValidationError):
    """Raised when code tries to change or delete an issued invoice: correct it with a credit note."""


class InvoiceRun(models.Model):
    """One month's invoicing batch of a régie: computed as a draft, reviewed, then issued."""

    class Status(models.TextChoices):
        COMPUTING = "computing", "Brouillon en calcul"
        DRAFT = "draft", "Brouillon"
        FAILED = "failed", "Échec du calcul"
        ISSUING = "issuing", "Émission en cours"
        ISSUED = "issued", "Émise"

    LOCKED_STATUSES = (Status.ISSUING, Status.ISSUED)

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="invoice_runs")
    month = models.DateField("mois facturé", help_text="Le premier jour du mois.")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.COMPUTING)
    due_date = models.DateField(
        "date d'échéance", null=True, blank=True, help_text="Vide : 30 jours après l'émission."
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="créée par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField("calculée le", null=True, blank=True)
    issued_at = models.DateTimeField("émise le", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="émise par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    delivered_at = models.DateTimeField("PDF et emails terminés le", null=True, blank=True)
    progress_done = models.PositiveIntegerField("foyers traités", default=0)
    progress_total = models.PositiveIntegerField("foyers à traiter", default=0)
    invoice_count = models.PositiveIntegerField("nombre de factures", default=0)
    total_amount = models.DecimalField("montant total (€)", max_digits=12, decimal_places=2, default=ZERO)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "campagne de facturation"
        verbose_name_plural = "campagnes de facturation"
        ordering = ["-month", "regie"]
        constraints = [
            models.UniqueConstraint(fields=["regie", "month"], name="invoicerun_one_per_regie_month"),
            models.CheckConstraint(
                condition=Q(status__in=["computing", "draft", "failed", "issuing", "issued"]),
                name="invoicerun_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.regie} — {self.month_label}"

    @property
    def month_label(self):
        from django.utils.dateformat import format as date_format

        return date_format(self.month, "F Y").capitalize()

    @property
    def is_locked(self):
        return self.status in self.LOCKED_STATUSES

    @property
    def progress_percent(self):
        if not self.progress_total:
            return 100 if self.status != self.Status.COMPUTING else 0
        return round(100 * self.progress_done / self.progress_total)


MONEY = models.DecimalField(max_digits=12, decimal_places=2)


def _cents(value):
    """An annotated amount to the cent: SQLite computes sums in floating point (and -0 becomes 0)."""
    return value.quantize(CENT) + ZERO


class InvoiceQuerySet(models.QuerySet):
    def issued(self):
        return self.exclude(number="")

    def for_household(self, household):
        """The issued invoices of one household, newest first: what the portal may show."""
        return self.issued().filter(household=household).order_by("-issue_date", "-number")

    def open(self):
        """Factures en cours: still to pay, or being paid."""
        return self.filter(status__in=Invoice.OPEN_STATUSES)

    def archived(self):
        """Factures archivées: paid or cancelled."""
        return self.filter(status__in=Invoice.ARCHIVED_STATUSES)

    def at_regie(self):
        """Open invoices the régie itself still collects: not those handed to the public accountant."""
        return self.open().exclude(status__in=Invoice.WITH_PUBLIC_ACCOUNTANT_STATUSES)

    def with_balance(self):
        """Annotate each invoice's money state in SQL, one query for a whole list: `credited_total`
        (its credit notes), `paid_total` (its settled payments), `balance_due`, and
        `awaited_debit_on` (the date of the direct debit it waits for, if any). The SQL twin of
        Invoice.credited_amount, paid_amount and balance, which read these annotations when present.
        Subqueries, not joins: joining both credit notes and allocations would multiply the sums."""
        from core.models.direct_debit import DirectDebit
        from core.models.payments import PaymentAllocation

        awaited = DirectDebit.objects.filter(invoice=OuterRef("pk"), status__in=DirectDebit.AWAITED_STATUSES).order_by()
        credited = CreditNote.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
        paid = PaymentAllocation.objects.filter(invoice=OuterRef("pk"), payment__status="paid").order_by()
        return self.annotate(
            credited_total=Coalesce(Subquery(credited.annotate(s=Sum("amount")).values("s")), ZERO, output_field=MONEY),
            paid_total=Coalesce(
                Subquery(paid.values("invoice").annotate(s=Sum("amount")).values("s")), ZERO, output_field=MONEY
            ),
            balance_due=ExpressionWrapper(F("total") - F("credited_total") - F("paid_total"), output_field=MONEY),
            awaited_debit_on=Subquery(awaited.values("debit_date")[:1]),
        )

    def with_fees(self):
        """Annotate `fees_total`: what the invoice bills in fees (a rejected debit's fee), not
        activities."""
        fees = InvoiceLine.objects.filter(invoice=OuterRef("pk"), kind=InvoiceLine.Kind.REJECT_FEE).order_by()
        return self.annotate(
            fees_total=Coalesce(Subquery(fees.values("invoice").annotate(s=Sum("amount")).values("s")), ZERO, output_field=MONEY)
        )

    def locked_with_balance(self):
        """Lock these invoices (in pk order, so two settlements never deadlock), then read them
        with their balance: the sums are read after the lock, so a settlement committed meanwhile
        counts. For services that settle invoices, inside their transaction."""
        ids = list(self.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        return Invoice.objects.with_balance().filter(pk__in=ids)


class Invoice(models.Model):
    """A household's invoice (avis des sommes à payer) for one month of a régie. Immutable once
    issued: only its status, PDF and delivery date still move; corrections are credit notes."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        UNPAID = "unpaid", "À payer"
        PAYMENT_IN_PROGRESS = "payment_in_progress", "Paiement en cours"
        DIRECT_DEBIT_IN_PROGRESS = "debit_in_progress", "Prélèvement en cours"
        PAID = "paid", "Payée"
        CANCELLED = "cancelled", "Annulée"
        TRANSMITTED = "transmitted", "Transmise au Trésor public"

    # Factures en cours: the family still owes them (a transmitted one, to the public accountant).
    OPEN_STATUSES = (
        Status.UNPAID,
        Status.PAYMENT_IN_PROGRESS,
        Status.DIRECT_DEBIT_IN_PROGRESS,
        Status.TRANSMITTED,
    )
    ARCHIVED_STATUSES = (Status.PAID, Status.CANCELLED)  # factures archivées
    # Handed over to the public accountant (core.services.handover), who collects them now: out of
    # the régie's own follow-up (reminders, what the régie has still to collect).
    WITH_PUBLIC_ACCOUNTANT_STATUSES = (Status.TRANSMITTED,)
    # What may still change on an issued invoice (payment state, the PDF rendered once, delivery).
    MUTABLE_AFTER_ISSUE = ("status", "pdf", "emailed_at")

    run = models.ForeignKey(InvoiceRun, verbose_name="campagne", on_delete=models.PROTECT, related_name="invoices")
    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="invoices")
    household = models.ForeignKey(
        "core.Household", verbose_name="foyer", on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField("numéro", max_length=30, blank=True, db_index=True)
    sequence = models.PositiveIntegerField("rang dans l'année", null=True, blank=True)
    period_start = models.DateField("période du")
    period_end = models.DateField("période au")
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField("total (€)", max_digits=10, decimal_places=2, default=ZERO)
    issue_date = models.DateField("date d'émission", null=True, blank=True)
    due_date = models.DateField("date d'échéance", null=True, blank=True)
    issued_at = models.DateTimeField("émise le", null=True, blank=True)
    payer_name = models.CharField("redevable", max_length=250, blank=True)
    payer_address = models.TextField("adresse du redevable", blank=True)
    payer_email = models.EmailField("email du redevable", blank=True)
    household_reference = models.CharField("référence du foyer", max_length=20, blank=True)
    pdf = models.FileField("PDF", upload_to="factures/", blank=True)
    emailed_at = models.DateTimeField("email envoyé le", null=True, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-period_start", "number", "household"]
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="invoice_one_per_run_household"),
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft", "unpaid", "payment_in_progress", "debit_in_progress", "paid", "cancelled", "transmitted",
                    ]
                ),
                name="invoice_status_valid",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=Q(status="draft") | (~Q(number="") & Q(issue_date__isnull=False, due_date__isnull=False)),
                name="issued_invoice_has_number_and_dates",
            ),
        ]

    def __str__(self):
        if self.number:
            return f"Facture n° {self.number}"
        return f"Brouillon — {self.household_id and self.household}"

    @property
    def is_issued(self):
        return bool(self.number)

    @property
    def title(self):
        """« Facture du 01/09/2023 pour M TEST Deux », as parents know it."""
        return f"Facture du {self.period_start:%d/%m/%Y} pour {self.payer_name}"

    @property
    def credited_amount(self):
        """What credit notes cover of this invoice."""
        if hasattr(self, "credited_total"):  # InvoiceQuerySet.with_balance()
            return _cents(self.credited_total)
        return self.credit_notes.aggregate(total=Sum("amount"))["total"] or ZERO

    @property
    def paid_amount(self):
        """What settled payments (online paid, or recorded by staff) cover of this invoice."""
        if hasattr(self, "paid_total"):  # InvoiceQuerySet.with_balance()
            return _cents(self.paid_total)
        return self.allocations.filter(payment__status="paid").aggregate(total=Sum("amount"))["total"] or ZERO

    @property
    def balance(self):
        """What is still due: the total, less credit notes, less payments (negative: to refund).
        InvoiceQuerySet.with_balance() is its SQL twin; keep the two alike."""
        if hasattr(self, "balance_due"):
            return _cents(self.balance_due)
        return self.total - self.credited_amount - self.paid_amount

    @property
    def is_with_public_accountant(self):
        """Handed over to the Trésor public: paid there, no longer to the régie."""
        return self.status in self.WITH_PUBLIC_ACCOUNTANT_STATUSES

    @property
    def awaited_debit_date(self):
        """The date of the direct debit this invoice waits for (scheduled or sent), else None. A
        rejected or cancelled debit is not awaited any more."""
        if hasattr(self, "awaited_debit_on"):  # InvoiceQuerySet.with_balance()
            return self.awaited_debit_on
        from core.models.direct_debit import DirectDebit

        debit = self.direct_debits.filter(status__in=DirectDebit.AWAITED_STATUSES).values("debit_date").first()
        return debit and debit["debit_date"]

    @property
    def is_payable(self):
        """Can be selected and paid, online or at the desk: issued, « à payer » (no attempt in
        flight holds it, not handed over to the public accountant), something still due, and no
        direct debit awaited for it (a rejected debit makes it payable again)."""
        return (
            self.is_issued
            and self.status == self.Status.UNPAID
            and self.balance > ZERO
            and self.awaited_debit_date is None
        )

    def days_until_due(self, *, today):
        return (self.due_date - today).days if self.due_date else None

    def _issued_row(self):
        if not self.pk:
            return None
        frozen = [f.attname for f in self._meta.concrete_fields if f.name not in self.MUTABLE_AFTER_ISSUE]
        row = type(self).objects.filter(pk=self.pk).values(*frozen).first()
        return row if row and row["number"] else None

    def save(self, *args, **kwargs):
        # A guard, not a side effect: an issued invoice's amounts, payer and dates never change.
        row = self._issued_row()
        if row is not None:
            changed = [name for name, value in row.items() if getattr(self, name) != value]
            if changed:
                raise IssuedDocumentError(
                    "Une facture émise ne peut plus être modifiée : établissez un avoir."
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._issued_row() is not None:
            raise IssuedDocumentError("Une facture émise ne peut pas être supprimée : établissez un avoir.")
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    """One line of an invoice: a child × activity × unit price with the days it covers, or a fee
    billed to the household (a rejected direct debit's fee), which has neither child nor activity."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity", "Prestation"
        REJECT_FEE = "reject_fee", "Frais de rejet de prélèvement"

    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField("nature", max_length=12, choices=Kind.choices, default=Kind.ACTIVITY)
    child = models.ForeignKey(
        "core.Child", verbose_name="enfant", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    activity = models.ForeignKey(
        "core.Activity", verbose_name="prestation", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The rejected debit whose fee this line bills: a fee is billed on one line only.
    rejected_debit = models.OneToOneField(
        "core.DirectDebit", verbose_name="prélèvement rejeté", on_delete=models.PROTECT, null=True, blank=True,
        related_name="fee_line",
    )
    label = models.CharField("libellé", max_length=250)
    is_unbooked = models.BooleanField("présences sans réservation", default=False)
    dates = models.JSONField("jours facturés", default=list)
    quantity = models.PositiveIntegerField("quantité")
    unit_price = models.DecimalField("prix unitaire (€)", max_digits=10, decimal_places=2)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)
    position = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "ligne de facture"
        verbose_name_plural = "lignes de facture"
        ordering = ["invoice", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoiceline_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind="activity", child__isnull=False, activity__isnull=False, rejected_debit__isnull=True)
                    | Q(kind="reject_fee", child__isnull=True, activity__isnull=True, rejected_debit__isnull=False)
                ),
                name="invoiceline_kind_consistent",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_fee(self):
        return self.kind != self.Kind.ACTIVITY

    @property
    def dates_label(self):
        import datetime

        return ", ".join(datetime.date.fromisoformat(d).strftime("%d/%m") for d in self.dates)

    def save(self, *args, **kwargs):
        if self.invoice.is_issued and Invoice.objects.filter(pk=self.invoice_id).exclude(number="").exists():
            raise IssuedDocumentError("Les lignes d'une facture émise ne peuvent plus être modifiées.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id).exclude(number="").exists():
            raise IssuedDocumentError("Les lignes d'une facture émise ne peuvent plus être supprimées.")
        return super().delete(*args, **kwargs)


class CreditNote(models.Model):
    """An avoir: cancels an issued invoice or credits part of it. Numbered on its own series."""

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(Invoice, verbose_name="facture", on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField("numéro", max_length=30, unique=True)
    sequence = models.PositiveIntegerField("rang dans l'année")
    reason = models.TextField("motif")
    is_cancellation = models.BooleanField("annule la facture", default=False)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)
    issue_date = models.DateField("date d'émission")
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="établi par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField("PDF", upload_to="avoirs/", blank=True)

    class Meta:
        verbose_name = "avoir"
        verbose_name_plural = "avoirs"
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="creditnote_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="creditnote_has_reason"),
        ]

    def __str__(self):
        return f"Avoir n° {self.number}"


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, verbose_name="avoir", on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, verbose_name="ligne de facture", on_delete=models.PROTECT, related_name="credit_lines"
    )
    label = models.CharField("libellé", max_length=250)
    quantity = models.PositiveIntegerField("quantité")
    unit_price = models.DecimalField("prix unitaire (€)", max_digits=10, decimal_places=2)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "ligne d'avoir"
        verbose_name_plural = "lignes d'avoir"
        ordering = ["credit_note", "pk"]

    def __str__(self):
        return self.label


class DocumentCounter(models.Model):
    """The last number given per régie, year and kind of document. Taken under
    select_for_update() in the issuing transaction, so numbers are gapless and never reused."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Facture"
        CREDIT_NOTE = "credit_note", "Avoir"

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("année")
    kind = models.CharField("document", max_length=12, choices=Kind.choices)
    last_value = models.PositiveIntegerField("dernier numéro", default=0)

    class Meta:
        verbose_name = "compteur de numéros"
        verbose_name_plural = "compteurs de numéros"
        constraints = [models.UniqueConstraint(fields=["regie", "year", "kind"], name="documentcounter_unique")]

    def __str__(self):
        return f"{self.regie} {self.year} {self.get_kind_display()} : {self.last_value}"
