"""A guardian's subscription to the household's calendar feed: only a hash of its secret token is
kept, so neither the admin nor a database dump can rebuild the feed's address."""

from django.db import models


class CalendarFeed(models.Model):
    guardian = models.OneToOneField(
        "core.Guardian", verbose_name="responsable", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField("empreinte du jeton", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le")
    last_read_at = models.DateTimeField("dernière lecture", null=True, blank=True)

    class Meta:
        verbose_name = "abonnement au calendrier"
        verbose_name_plural = "abonnements au calendrier"

    def __str__(self):
        return f"Calendrier de {self.guardian}"
