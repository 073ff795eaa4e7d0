"""Payments: online attempts through PayFiP and manual payments recorded by staff, allocated to
invoices, with the history of what happened to each."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# While an online attempt is younger than this, its invoices cannot be selected again; past it,
# PayFiP's "result not known yet" means the attempt expired (an idop lives 15 minutes).
ATTEMPT_HOLD = datetime.timedelta(minutes=20)
# PayFiP can still conclude an attempt we gave up on (expired after P5, or abandoned: A) while the
# payer's operation lives on there. Such an attempt is asked again until PayFiP gives a final answer
# or purges the operation (P1), and at most this long after its start.
LATE_RESULT_WATCH = datetime.timedelta(hours=24)


class PaymentQuerySet(models.QuerySet):
    def in_flight(self):
        return self.filter(method=Payment.Method.ONLINE, status=Payment.Status.INITIATED)

    def watched(self, *, now):
        """Attempts given up on that PayFiP may still conclude: asked again by the reconciliation."""
        return self.filter(
            method=Payment.Method.ONLINE, status__in=Payment.WATCHED_STATUSES, watch_until__gt=now
        ).exclude(idop="")

    def to_refund(self):
        return self.filter(refund_due=True, refunded_at__isnull=True)

    def settled(self):
        return self.filter(status=Payment.Status.PAID)

    def for_household(self, household):
        return self.filter(household=household)


class Payment(models.Model):
    """One payment: an online attempt through PayFiP, or money staff received by hand."""

    class Method(models.TextChoices):
        ONLINE = "online", "En ligne (PayFiP)"
        CASH = "cash", "Espèces"
        CHEQUE = "cheque", "Chèque"
        CESU = "cesu", "CESU"
        TRANSFER = "transfer", "Virement"

    class Status(models.TextChoices):
        INITIATED = "initiated", "En cours"
        PAID = "paid", "Payé"
        REFUSED = "refused", "Refusé"
        ABANDONED = "abandoned", "Abandonné"
        EXPIRED = "expired", "Expiré"
        ERROR = "error", "Erreur"
        MISMATCH = "mismatch", "Anomalie à vérifier"

    MANUAL_METHODS = (Method.CASH, Method.CHEQUE, Method.CESU, Method.TRANSFER)
    WATCHED_STATUSES = (Status.ABANDONED, Status.EXPIRED)

    uuid = models.UUIDField("identifiant", default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        "core.Household", verbose_name="foyer", on_delete=models.PROTECT, related_name="payments"
    )
    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="payments")
    guardian = models.ForeignKey(
        "core.Guardian", verbose_name="payeur", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    payer_email = models.EmailField("email du payeur", blank=True)
    method = models.CharField("moyen de paiement", max_length=10, choices=Method.choices)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.INITIATED, db_index=True)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)
    reference = models.CharField(
        "référence", max_length=100, blank=True, help_text="N° de chèque, de CESU, libellé du virement…"
    )
    received_on = models.DateField("reçu le", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="saisi par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # PayFiP: what we sent, and the detail PayFiP gave back (the only source of truth).
    refdet = models.CharField("référence de la dette (refdet)", max_length=30, blank=True)
    numcli = models.CharField("numcli", max_length=6, blank=True)
    idop = models.CharField("idop", max_length=64, blank=True, db_index=True)
    resultrans = models.CharField("résultat PayFiP", max_length=2, blank=True)
    numauto = models.CharField("n° d'autorisation", max_length=20, blank=True)
    saisie = models.CharField("saisie", max_length=1, blank=True)
    transaction_at = models.DateTimeField("date de la transaction", null=True, blank=True)
    detail = models.JSONField("détail PayFiP", default=dict, blank=True)
    error = models.TextField("erreur", blank=True)
    mismatch = models.TextField("anomalie", blank=True)
    mismatch_reviewed_at = models.DateTimeField("anomalie vérifiée le", null=True, blank=True)
    # Money PayFiP took for invoices already settled (another attempt, the desk): staff refund it.
    refund_due = models.BooleanField("à rembourser", default=False)
    refunded_at = models.DateTimeField("remboursé le", null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="remboursé par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", db_index=True)
    concluded_at = models.DateTimeField("conclu le", null=True, blank=True)
    last_checked_at = models.DateTimeField("dernière interrogation de PayFiP", null=True, blank=True)
    check_count = models.PositiveSmallIntegerField("interrogations de PayFiP", default=0)
    watch_until = models.DateTimeField("PayFiP réinterrogé jusqu'au", null=True, blank=True, db_index=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "paiement"
        verbose_name_plural = "paiements"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["initiated", "paid", "refused", "abandoned", "expired", "error", "mismatch"]),
                name="payment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(method__in=["online", "cash", "cheque", "cesu", "transfer"]), name="payment_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(method="online") | Q(status="paid"), name="manual_payment_is_paid"
            ),
        ]

    def __str__(self):
        return f"Paiement {self.get_method_display().lower()} de {self.amount} € ({self.get_status_display().lower()})"

    @property
    def is_online(self):
        return self.method == self.Method.ONLINE

    @property
    def is_in_flight(self):
        return self.is_online and self.status == self.Status.INITIATED

    @property
    def amount_cents(self):
        return int((self.amount * 100).to_integral_value())

    def is_watched(self, *, now):
        """Given up on (expired or abandoned), yet PayFiP may still conclude it: see LATE_RESULT_WATCH."""
        return (
            self.is_online and self.status in self.WATCHED_STATUSES and bool(self.idop)
            and self.watch_until is not None and now < self.watch_until
        )

    def awaits_payfip(self, *, now):
        """PayFiP may still give this attempt's result: worth asking (notification, return, staff)."""
        return self.is_in_flight or self.is_watched(now=now)

    @property
    def is_refund_pending(self):
        return self.refund_due and self.refunded_at is None

    def log(self, kind, message, **data):
        return PaymentEvent.objects.create(payment=self, kind=kind, message=message, data=data)


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(Payment, verbose_name="paiement", on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(
        "core.Invoice", verbose_name="facture", on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "affectation"
        verbose_name_plural = "affectations"
        ordering = ["payment", "invoice"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_one_per_payment_invoice"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount} € sur {self.invoice}"


class PaymentEvent(models.Model):
    """What happened to a payment, in order: start, notifications, PayFiP answers, outcome."""

    payment = models.ForeignKey(Payment, verbose_name="paiement", on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("le", auto_now_add=True)
    kind = models.CharField("événement", max_length=30)
    message = models.TextField("détail")
    data = models.JSONField("données", default=dict, blank=True)

    class Meta:
        verbose_name = "événement de paiement"
        verbose_name_plural = "historique du paiement"
        ordering = ["payment", "at", "pk"]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M:%S} {self.message}"
