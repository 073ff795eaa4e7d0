from django.db import models


class EmailLog(models.Model):
    """Every email the system sends: who, what, the content as sent, and what became of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "En attente d'envoi"
        SENDING = "sending", "Envoi en cours"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"

    kind = models.CharField("type", max_length=40, db_index=True)
    recipient = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("texte")
    body_html = models.TextField("HTML", blank=True)
    attachments = models.JSONField(
        "pièces jointes", default=list, blank=True, help_text="Fichiers du stockage joints à l'envoi."
    )
    # Which link that grants access the email carries, e.g. {"kind": "password_reset", "user": 3}:
    # the link itself is built when the email is sent and never stored (core.emails).
    access_link = models.JSONField("lien d'accès", null=True, blank=True, editable=False)
    household = models.ForeignKey(
        "core.Household", verbose_name="foyer", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    error = models.TextField("erreur", blank=True)
    provider_message_id = models.CharField("identifiant chez le fournisseur", max_length=250, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "email envoyé"
        verbose_name_plural = "journal des emails"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]), name="emaillog_status_valid"
            )
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"
