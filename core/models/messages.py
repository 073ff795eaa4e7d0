"""Messages between a household and the town hall: one conversation per question, always of one
household; staff answer from the admin inbox."""

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    class Subject(models.TextChoices):
        BOOKINGS = "reservations", "Réservations"
        INVOICES = "factures", "Factures"
        ENROLMENT = "inscription", "Inscription"
        OTHER = "autre", "Autre"

    class Status(models.TextChoices):
        AWAITING_STAFF = "a_traiter", "À traiter par la mairie"
        AWAITING_FAMILY = "attente_famille", "En attente de la famille"
        CLOSED = "close", "Clôturée"

    household = models.ForeignKey("core.Household", verbose_name="foyer", on_delete=models.CASCADE, related_name="conversations")
    subject = models.CharField("sujet", max_length=15, choices=Subject.choices)
    title = models.CharField("objet", max_length=150)
    status = models.CharField("état", max_length=15, choices=Status.choices, default=Status.AWAITING_STAFF)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="agent en charge", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    started_by = models.ForeignKey(
        "core.Guardian", verbose_name="écrit par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créée le")
    last_message_at = models.DateTimeField("dernier message")

    class Meta:
        verbose_name = "conversation"
        verbose_name_plural = "messages des familles"
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["household", "-last_message_at"], name="conversation_household")]

    def __str__(self):
        return self.title


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    body = models.TextField("message")
    guardian = models.ForeignKey(
        "core.Guardian", verbose_name="responsable", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_staff = models.BooleanField("de la mairie", default=False)
    created_at = models.DateTimeField("envoyé le")

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Message du {self.created_at:%d/%m/%Y}"


class MessageAttachment(models.Model):
    """A file joined to a message; stored under a random name, its sent name kept for display only."""

    message = models.ForeignKey(Message, verbose_name="message", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("fichier", max_length=255, editable=False)
    original_name = models.CharField("nom du fichier envoyé", max_length=200, editable=False)
    content_type = models.CharField("type de contenu", max_length=50, editable=False)
    size = models.PositiveIntegerField("taille (octets)", editable=False)

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["pk"]

    def __str__(self):
        return self.original_name

