"""State of the local PayFiP simulator: one row per operation (idop) it handed out.

Only used when PAYMENT_BACKEND = "simulator"; never part of the domain (payments live elsewhere).
The table keeps the name it had when the model lived in `core` (its migrations 0004 and 0010).
"""

import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone


def new_idop():
    return str(uuid.uuid4())


class PayfipSimulatorOperation(models.Model):
    class Result(models.TextChoices):
        PAID_CARD = "P", "Payé par carte"
        PAID_DEBIT = "V", "Payé par prélèvement"
        ABANDONED = "A", "Abandonné"
        REFUSED_CARD = "R", "Carte refusée"
        REFUSED_DEBIT = "Z", "Prélèvement refusé"

    class Notification(models.TextChoices):
        DELIVER = "deliver", "Envoyer la notification"
        DROP = "drop", "Perdre la notification"
        DELAY = "delay", "Retarder la notification"
        DUPLICATE = "duplicate", "Envoyer la notification deux fois"

    idop = models.CharField("idop", max_length=36, unique=True, default=new_idop, editable=False)
    numcli = models.CharField("numcli", max_length=6)
    exer = models.CharField("exercice", max_length=4)
    refdet = models.CharField("référence de la dette", max_length=30)
    objet = models.CharField("objet", max_length=100, blank=True)
    montant = models.PositiveIntegerField("montant (centimes)")
    mel = models.CharField("adresse électronique", max_length=80)
    urlnotif = models.CharField("adresse de notification", max_length=500)
    urlredirect = models.CharField("adresse de retour", max_length=500)
    saisie = models.CharField("saisie", max_length=1)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    resultrans = models.CharField("résultat", max_length=1, choices=Result.choices, blank=True)
    numauto = models.CharField("numéro d'autorisation", max_length=20, blank=True)
    transaction_at = models.DateTimeField("date de la transaction", null=True, blank=True)
    # A result PayFiP knows only later: until result_at it answers interim_resultrans (e.g. A, the
    # payer's operation still alive) or, without one, P5. From purged_at on it answers P1.
    result_at = models.DateTimeField("résultat connu à partir du", null=True, blank=True)
    interim_resultrans = models.CharField(
        "résultat en attendant", max_length=1, choices=Result.choices, blank=True
    )
    purged_at = models.DateTimeField("purgée le", null=True, blank=True)
    notification = models.CharField("notification", max_length=10, choices=Notification.choices, blank=True)
    notifications_sent = models.PositiveSmallIntegerField("notifications envoyées", default=0)
    last_notification_status = models.CharField("dernier envoi", max_length=200, blank=True)

    class Meta:
        db_table = "core_payfipsimulatoroperation"
        verbose_name = "opération du simulateur PayFiP"
        verbose_name_plural = "opérations du simulateur PayFiP"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.idop} ({self.refdet})"

    @property
    def montant_euros(self):
        return Decimal(self.montant) / 100
