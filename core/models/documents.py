"""A household's supporting documents (pièces justificatives): the types staff configure and the
files families send. Files live in the default storage under a random name, never under a public
URL; `core/services/documents.py` is the only way in."""

import calendar
import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models.households import Guardian, Household


def add_months(day, months):
    """`day` moved `months` later, clamped to the end of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class DocumentType(models.Model):
    """A kind of document staff ask for (attestation CAF, assurance…), and how long one stays valid."""

    name = models.CharField("nom", max_length=100, unique=True)
    code = models.SlugField("code", max_length=30, unique=True)
    help_text = models.CharField(
        "aide pour les familles", max_length=250, blank=True,
        help_text="Par exemple « Attestation de moins de 3 mois indiquant votre quotient familial ».",
    )
    validity_months = models.PositiveSmallIntegerField(
        "durée de validité (mois)", null=True, blank=True, help_text="Vide : le document reste valable."
    )
    carries_quotient = models.BooleanField(
        "indique le quotient familial", default=False,
        help_text="Attestation CAF ou MSA : l'accepter enregistre le nouveau quotient familial du foyer.",
    )
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=0)

    class Meta:
        verbose_name = "type de document"
        verbose_name_plural = "types de document"
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def valid_until_for(self, valid_from):
        """The last day a document of this type, valid from `valid_from`, is still valid."""
        if self.validity_months is None:
            return None
        return add_months(valid_from, self.validity_months) - datetime.timedelta(days=1)


class HouseholdDocumentQuerySet(models.QuerySet):
    def for_household(self, household):
        return self.filter(household=household)

    def usable_on(self, day):
        """Documents not refused and still valid on `day` (those awaiting review included)."""
        return self.exclude(status=HouseholdDocument.Status.REFUSED).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day), valid_from__lte=day
        )

    def expiring_between(self, start, end):
        return self.filter(status=HouseholdDocument.Status.ACCEPTED, valid_until__gte=start, valid_until__lt=end)


class HouseholdDocument(models.Model):
    """One file a household sent: its type, the dates it is valid, and staff's review."""

    class Status(models.TextChoices):
        PENDING = "pending", "À vérifier"
        ACCEPTED = "accepted", "Accepté"
        REFUSED = "refused", "Refusé"

    household = models.ForeignKey(
        Household, verbose_name="foyer", on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.ForeignKey(
        DocumentType, verbose_name="type", on_delete=models.PROTECT, related_name="documents"
    )
    # The storage name is random (documents/<household>/<uuid>.<ext>); the name the family gave
    # the file is kept for display only.
    file = models.FileField("fichier", max_length=255, editable=False)
    original_name = models.CharField("nom du fichier envoyé", max_length=200, editable=False)
    content_type = models.CharField("type de contenu", max_length=50, editable=False)
    size = models.PositiveIntegerField("taille (octets)", editable=False)
    valid_from = models.DateField("valable à partir du")
    valid_until = models.DateField("valable jusqu'au (inclus)", null=True, blank=True)
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    review_note = models.CharField("motif", max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        Guardian, verbose_name="envoyé par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField("envoyé le")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="vérifié par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("vérifié le", null=True, blank=True)
    expiry_reminded_at = models.DateTimeField("relance d'expiration envoyée le", null=True, blank=True, editable=False)

    objects = HouseholdDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "document du foyer"
        verbose_name_plural = "documents des foyers"
        ordering = ["household", "document_type__position", "-valid_from", "-uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "refused"]), name="document_status_valid"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="document_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["household", "document_type"], name="document_household_type")]

    def __str__(self):
        return f"{self.document_type} — {self.original_name}"

    def is_usable_on(self, day):
        return (
            self.status != self.Status.REFUSED
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )
