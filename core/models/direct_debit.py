"""SEPA direct debit (prélèvement): a household's mandate with a régie, the debit of each invoice
it covers, and the pain.008 batches staff send to the bank."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constants import ZERO


def mask_iban(iban: str) -> str:
    """« FR76 •••• •••• 0189 »: the country, check digits and last four characters only."""
    if not iban:
        return ""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"


class MandateQuerySet(models.QuerySet):
    def live(self):
        """Mandates that still bind: awaiting validation, active or suspended."""
        return self.filter(status__in=Mandate.LIVE_STATUSES)

    def active(self):
        return self.filter(status=Mandate.Status.ACTIVE)

    def for_household(self, household):
        return self.filter(household=household)


class Mandate(models.Model):
    """A mandat de prélèvement SEPA (CORE, recurrent): a household allows a régie to debit one
    account. Its RUM never changes; a change of account is an amendment of the same mandate."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de validation"
        ACTIVE = "active", "Actif"
        SUSPENDED = "suspended", "Suspendu après rejets"
        REVOKED = "revoked", "Révoqué"
        LAPSED = "lapsed", "Caduc (36 mois sans prélèvement)"

    class Signature(models.TextChoices):
        PAPER = "paper", "Mandat papier signé, validé par un agent"
        ONLINE = "online", "Signé en ligne par le parent"

    LIVE_STATUSES = (Status.PENDING, Status.ACTIVE, Status.SUSPENDED)

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="mandates")
    household = models.ForeignKey(
        "core.Household", verbose_name="foyer", on_delete=models.PROTECT, related_name="mandates"
    )
    rum = models.CharField("référence unique du mandat (RUM)", max_length=35, unique=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    holder_name = models.CharField("titulaire du compte", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    signature = models.CharField("signature", max_length=10, choices=Signature.choices, default=Signature.PAPER)
    requested_at = models.DateTimeField("demandé le")
    requested_by = models.ForeignKey(
        "core.Guardian", verbose_name="demandé par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_on = models.DateField("date de signature", null=True, blank=True)
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="validé par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # The next debit is a first one (FRST): never debited yet, or moved to another bank.
    needs_first = models.BooleanField("prochain prélèvement : premier (FRST)", default=True)
    # An amendment not yet carried by a sent file: the account it replaces.
    original_iban = models.CharField("IBAN remplacé (modification à transmettre)", max_length=34, blank=True)
    original_bic = models.CharField("BIC remplacé", max_length=11, blank=True)
    amended_at = models.DateTimeField("modifié le", null=True, blank=True)
    last_debit_on = models.DateField("dernier prélèvement le", null=True, blank=True)
    reject_count = models.PositiveSmallIntegerField("rejets", default=0)
    ended_at = models.DateTimeField("fin le", null=True, blank=True)
    end_reason = models.CharField("motif de fin", max_length=250, blank=True)

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = "mandat de prélèvement"
        verbose_name_plural = "mandats de prélèvement"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["regie", "household"],
                condition=Q(status__in=["pending", "active", "suspended"]),
                name="mandate_one_live_per_regie_household",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "suspended", "revoked", "lapsed"]),
                name="mandate_status_valid",
            ),
        ]

    def __str__(self):
        return f"Mandat {self.rum}"

    @property
    def iban_masked(self):
        return mask_iban(self.iban)

    @property
    def iban_grouped(self):
        """The whole IBAN in groups of four, as on a RIB, for the mandate the parent signs."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    @property
    def is_live(self):
        return self.status in self.LIVE_STATUSES

    @property
    def sequence_type(self):
        """The SEPA sequence type of its next debit."""
        return "FRST" if self.needs_first else "RCUR"


class DebitBatch(models.Model):
    """A pain.008 file: the debits of one régie for one collection date, one payment block per
    sequence type (FRST, RCUR)."""

    class Status(models.TextChoices):
        GENERATED = "generated", "Fichier généré"
        SENT = "sent", "Transmis à la banque"
        CONFIRMED = "confirmed", "Encaissement confirmé"

    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="debit_batches")
    debit_date = models.DateField("date de prélèvement")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.GENERATED)
    message_id = models.CharField("identifiant du message", max_length=35, blank=True)
    file = models.FileField("fichier pain.008", upload_to="prelevements/", blank=True)
    debit_count = models.PositiveIntegerField("prélèvements", default=0)
    total = models.DecimalField("montant total (€)", max_digits=12, decimal_places=2, default=ZERO)
    created_at = models.DateTimeField("généré le")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="généré par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField("transmis le", null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="transmis par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="confirmé par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "lot de prélèvements"
        verbose_name_plural = "lots de prélèvements"
        ordering = ["-debit_date", "-created_at"]
        permissions = [("manage_debitbatch", "Peut générer, transmettre et confirmer les lots de prélèvements")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["generated", "sent", "confirmed"]), name="debitbatch_status_valid")
        ]

    def __str__(self):
        return f"Prélèvements {self.regie} du {self.debit_date:%d/%m/%Y}"


class DirectDebit(models.Model):
    """The debit of one invoice under a mandate, pre-notified at issue with its amount and date."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Prévu"
        SENT = "sent", "Transmis"
        COLLECTED = "collected", "Encaissé"
        REJECTED = "rejected", "Rejeté"
        CANCELLED = "cancelled", "Annulé"

    # A debit still to come: the invoice waits for it and is not offered for card payment.
    AWAITED_STATUSES = (Status.SCHEDULED, Status.SENT)
    # At most one per invoice that is not over: awaited or collected.
    LIVE_STATUSES = (Status.SCHEDULED, Status.SENT, Status.COLLECTED)

    invoice = models.ForeignKey("core.Invoice", verbose_name="facture", on_delete=models.PROTECT, related_name="direct_debits")
    mandate = models.ForeignKey(Mandate, verbose_name="mandat", on_delete=models.PROTECT, related_name="debits")
    batch = models.ForeignKey(
        DebitBatch, verbose_name="lot", on_delete=models.PROTECT, null=True, blank=True, related_name="debits"
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    amount = models.DecimalField("montant annoncé (€)", max_digits=10, decimal_places=2)
    debit_date = models.DateField("date de prélèvement")
    sequence_type = models.CharField("type de séquence", max_length=4, blank=True)
    end_to_end_id = models.CharField("référence de bout en bout", max_length=35, blank=True)
    payment = models.OneToOneField(
        "core.Payment", verbose_name="paiement", on_delete=models.PROTECT, null=True, blank=True, related_name="direct_debit"
    )
    reject_code = models.CharField("motif de rejet", max_length=4, blank=True)
    reject_fee = models.DecimalField("frais de rejet (€)", max_digits=10, decimal_places=2, default=ZERO)
    rejected_at = models.DateTimeField("rejeté le", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "prélèvement"
        verbose_name_plural = "prélèvements"
        ordering = ["-debit_date", "invoice"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(status__in=["scheduled", "sent", "collected"]), name="directdebit_one_live_per_invoice"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "sent", "collected", "rejected", "cancelled"]),
                name="directdebit_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="directdebit_amount_positive"),
        ]

    def __str__(self):
        return f"Prélèvement de {self.amount} € le {self.debit_date:%d/%m/%Y}"
