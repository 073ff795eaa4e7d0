from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NewsQuerySet(models.QuerySet):
    def published(self, *, now=None):
        now = now or timezone.now()
        return self.filter(published_from__lte=now).filter(Q(published_until__isnull=True) | Q(published_until__gt=now))


class News(models.Model):
    """A post shown on the portal's home page (Actualités)."""

    title = models.CharField("titre", max_length=200)
    body = models.TextField("texte")
    published_from = models.DateTimeField("publiée à partir du", default=timezone.now)
    published_until = models.DateTimeField("publiée jusqu'au", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    objects = NewsQuerySet.as_manager()

    class Meta:
        verbose_name = "actualité"
        verbose_name_plural = "actualités"
        ordering = ["-published_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_until__isnull=True) | Q(published_until__gt=models.F("published_from")),
                name="news_publication_ordered",
            )
        ]

    def __str__(self):
        return self.title
