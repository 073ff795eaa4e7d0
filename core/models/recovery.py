"""Recovery of unpaid invoices: each régie's reminder schedule and the reminders sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReminderStep(models.Model):
    """One step of a régie's reminder schedule: so many days before (negative) or after the due
    date; the step with a letter attaches the formal « lettre de relance » PDF."""

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.CASCADE, related_name="reminder_steps")
    offset_days = models.SmallIntegerField(
        "jours après l'échéance", help_text="Négatif : avant l'échéance (−5 : cinq jours avant)."
    )
    with_letter = models.BooleanField("lettre de relance jointe (PDF)", default=False)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "étape de relance"
        verbose_name_plural = "calendrier des relances"
        ordering = ["regie", "offset_days"]
        constraints = [models.UniqueConstraint(fields=["regie", "offset_days"], name="reminderstep_one_per_offset")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        if self.offset_days < 0:
            when = f"{-self.offset_days} jour{'s' if self.offset_days < -1 else ''} avant l'échéance"
        elif self.offset_days == 0:
            when = "le jour de l'échéance"
        else:
            when = f"{self.offset_days} jour{'s' if self.offset_days > 1 else ''} après l'échéance"
        return f"Relance {when}" + (" (lettre de relance)" if self.with_letter else "")


class InvoiceReminder(models.Model):
    """A reminder sent for one invoice: by the schedule (one per step, never twice) or by staff."""

    invoice = models.ForeignKey("core.Invoice", verbose_name="facture", on_delete=models.PROTECT, related_name="reminders")
    step = models.ForeignKey(
        ReminderStep, verbose_name="étape", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Vide : relance envoyée à la main par un agent.",
    )
    with_letter = models.BooleanField("lettre de relance", default=False)
    sent_at = models.DateTimeField("envoyée le")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="envoyée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    balance = models.DecimalField("reste dû à l'envoi (€)", max_digits=10, decimal_places=2)
    email_log = models.ForeignKey(
        "core.EmailLog", verbose_name="email", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    letter = models.FileField("lettre (PDF)", upload_to="relances/", blank=True)
    note = models.CharField("remarque", max_length=250, blank=True)

    class Meta:
        verbose_name = "relance"
        verbose_name_plural = "relances"
        ordering = ["invoice", "sent_at", "pk"]
        constraints = [
            # The claim of a scheduled reminder: a second sender of the same step fails on this row.
            models.UniqueConstraint(
                fields=["invoice", "step"], condition=Q(step__isnull=False), name="invoicereminder_once_per_step"
            ),
        ]

    def __str__(self):
        return f"Relance du {self.sent_at:%d/%m/%Y} — {self.invoice}"

    @property
    def kind_label(self):
        return self.step.label if self.step_id else "Relance manuelle" + (" (lettre de relance)" if self.with_letter else "")


class HandoverBatch(models.Model):
    """A hand-over of unpaid invoices to the public accountant (Trésor public): who, when, which
    invoices, the totals, and the files produced (« état des restes à recouvrer », the PDFs)."""

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="handovers")
    created_at = models.DateTimeField("transmis le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="transmis par", on_delete=models.PROTECT, related_name="+"
    )
    invoice_count = models.PositiveIntegerField("nombre de factures")
    total_due = models.DecimalField("montant à recouvrer (€)", max_digits=12, decimal_places=2)
    spreadsheet = models.FileField("état des restes à recouvrer", upload_to="transmissions/", blank=True)
    archive = models.FileField("factures (ZIP)", upload_to="transmissions/", blank=True)

    class Meta:
        verbose_name = "transmission au Trésor public"
        verbose_name_plural = "transmissions au Trésor public"
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(invoice_count__gt=0), name="handoverbatch_not_empty")]

    def __str__(self):
        return f"Transmission n° {self.pk} du {self.created_at:%d/%m/%Y} — {self.regie}"


class HandoverItem(models.Model):
    """One invoice of a hand-over, with what was due and the reminders sent at that moment.
    An invoice is handed over once: undoing it takes a credit note."""

    batch = models.ForeignKey(HandoverBatch, verbose_name="transmission", on_delete=models.PROTECT, related_name="items")
    invoice = models.OneToOneField(
        "core.Invoice", verbose_name="facture", on_delete=models.PROTECT, related_name="handover_item"
    )
    amount_due = models.DecimalField("reste à recouvrer (€)", max_digits=10, decimal_places=2)
    reminders_sent = models.PositiveSmallIntegerField("relances envoyées")

    class Meta:
        verbose_name = "facture transmise"
        verbose_name_plural = "factures transmises"
        ordering = ["batch", "invoice__number"]
        constraints = [models.CheckConstraint(condition=Q(amount_due__gt=0), name="handoveritem_amount_positive")]

    def __str__(self):
        return str(self.invoice)
