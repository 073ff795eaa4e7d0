"""Absences declared by a parent after the cancellation deadline (absence justifiée), reviewed by staff."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models.activities import Activity
from core.models.documents import HouseholdDocument
from core.models.households import Child


class AbsenceReason(models.Model):
    """A reason parents may give (maladie, hospitalisation…), set by staff."""

    label = models.CharField("motif", max_length=100, unique=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=0)
    is_active = models.BooleanField("proposé aux familles", default=True)

    class Meta:
        verbose_name = "motif d'absence"
        verbose_name_plural = "motifs d'absence"
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


class AbsenceDeclaration(models.Model):
    """A child's absence over one or more days, declared by a parent; staff accept or refuse it.
    Accepted days are recorded as justified absences, which the invoice run does not bill."""

    class Status(models.TextChoices):
        PENDING = "pending", "À examiner"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.PROTECT, related_name="absence_declarations")
    start = models.DateField("du")
    end = models.DateField("au")
    reason = models.ForeignKey(AbsenceReason, verbose_name="motif", on_delete=models.PROTECT, related_name="+")
    comment = models.TextField("précisions du parent", blank=True)
    status = models.CharField("décision", max_length=10, choices=Status.choices, default=Status.PENDING)
    declared_at = models.DateTimeField("déclarée le")
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="déclarée par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField("examinée le", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="examinée par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    refusal_reason = models.TextField("motif du refus", blank=True)
    # Whether the services' rules asked for a medical certificate, decided once at declaration.
    certificate_required = models.BooleanField("certificat médical exigé", default=False)
    certificate_due = models.DateField("certificat à envoyer au plus tard le", null=True, blank=True)
    certificate = models.ForeignKey(
        HouseholdDocument, verbose_name="certificat médical", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class CertificateState(models.TextChoices):
        NOT_REQUIRED = "not_required", "Non exigé"
        PROVIDED = "provided", "Reçu"
        AWAITED = "awaited", "Attendu"
        OVERDUE = "overdue", "Manquant, délai dépassé"

    class Meta:
        verbose_name = "absence déclarée"
        verbose_name_plural = "absences déclarées"
        ordering = ["-declared_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "refused"]), name="absence_status_valid"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="absence_period_valid"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(refusal_reason=""), name="absence_refusal_has_reason"),
        ]
        indexes = [models.Index(fields=["status", "declared_at"], name="absence_status_declared")]

    def __str__(self):
        return f"{self.child} — {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y} ({self.get_status_display()})"

    def certificate_state(self, *, today):
        """Where the medical certificate stands on `today` (a Paris date)."""
        if self.certificate_id is not None:
            return self.CertificateState.PROVIDED
        if not self.certificate_required:
            return self.CertificateState.NOT_REQUIRED
        if self.certificate_due is not None and today > self.certificate_due:
            return self.CertificateState.OVERDUE
        return self.CertificateState.AWAITED

    @property
    def certificate_missing(self):
        """A certificate was required and none was sent: the declaration cannot be accepted."""
        return self.certificate_required and self.certificate_id is None

    def accepts_certificate(self, *, today):
        """A parent may still send (or replace) the certificate: pending, before the due date."""
        return (
            self.status == self.Status.PENDING and self.certificate_due is not None and today <= self.certificate_due
        )


class AbsenceDay(models.Model):
    """One booked day covered by a declaration."""

    declaration = models.ForeignKey(AbsenceDeclaration, verbose_name="absence", on_delete=models.CASCADE, related_name="days")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("jour")

    class Meta:
        verbose_name = "jour d'absence"
        verbose_name_plural = "jours d'absence"
        ordering = ["date", "activity__position"]
        constraints = [models.UniqueConstraint(fields=["declaration", "activity", "date"], name="absenceday_unique")]

    def __str__(self):
        return f"{self.activity} — {self.date:%d/%m/%Y}"
