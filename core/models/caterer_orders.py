"""The meal order sent to a school's kitchen or caterer when a day's bookings lock, and the
corrections sent when staff change a locked day."""

from django.db import models
from django.db.models import Q


class CatererOrder(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", "Commande"
        CORRECTION = "correction", "Correctif"

    school = models.ForeignKey("core.School", verbose_name="école", on_delete=models.PROTECT, related_name="caterer_orders")
    day = models.DateField("jour de service")
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.ORDER)
    recipient = models.EmailField("destinataire")
    counts = models.JSONField("effectifs", default=dict)
    total = models.PositiveIntegerField("repas", default=0)
    pdf = models.FileField("PDF", upload_to="commandes/", blank=True)
    xlsx = models.FileField("tableur", upload_to="commandes/", blank=True)
    created_at = models.DateTimeField("créée le")
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "commande de repas"
        verbose_name_plural = "commandes de repas"
        ordering = ["-day", "school__name", "-created_at"]
        constraints = [
            # One order per school and day; corrections are as many as staff changes.
            models.UniqueConstraint(fields=["school", "day"], condition=Q(kind="order"), name="caterer_order_once_per_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.school} — {self.day:%d/%m/%Y}"
