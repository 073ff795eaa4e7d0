"""« Créer mon compte famille »: a new family's request, kept apart from the real household until
staff accept it; no account and no email exist before that."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models.households import Household


class FamilyAccountRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "À examiner"
        ACCEPTED = "accepted", "Acceptée"
        REJECTED = "rejected", "Refusée"

    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.PENDING)
    family_name = models.CharField("nom de la famille", max_length=150)
    address_line1 = models.CharField("adresse", max_length=200)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=10)
    city = models.CharField("commune", max_length=100)
    # [{"first_name", "last_name", "email", "phone"}] and [{"first_name", "last_name", "birth_date", "grade"}]
    guardians = models.JSONField("responsables", default=list)
    children = models.JSONField("enfants", default=list)
    message = models.TextField("message à la mairie", blank=True)
    client_key = models.CharField("origine (empreinte)", max_length=64, editable=False, db_index=True)
    created_at = models.DateTimeField("demandée le", db_index=True)
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="décidée par", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decision_note = models.CharField("note interne", max_length=500, blank=True)
    household = models.ForeignKey(Household, verbose_name="foyer créé", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")

    class Meta:
        verbose_name = "demande de compte famille"
        verbose_name_plural = "demandes de compte famille"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "accepted", "rejected"]),
                                   name="account_request_status_valid"),
        ]

    def __str__(self):
        return f"{self.family_name} ({self.created_at:%d/%m/%Y})"
