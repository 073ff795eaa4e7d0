"""Targeted notices: a message from the town hall to the families of a school, a service, some
days or a selection of households, by email and/or as a banner on their portal home page."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.models.organisation import Closure


class NoticeQuerySet(models.QuerySet):
    def on_home_of(self, household, *, today):
        """The banners `household` sees on its home page `today`."""
        return self.filter(
            sent_at__isnull=False, on_home=True, shown_until__gte=today, recipients=household
        ).order_by("-sent_at")


class Notice(models.Model):
    title = models.CharField("titre", max_length=200, help_text="Par exemple « Grève jeudi : pas de cantine à l'école Jules-Ferry ».")
    body = models.TextField("message", help_text="Texte simple ; une ligne vide sépare les paragraphes.")
    # Who receives it: the households picked by hand, or else those matching every criterion given.
    school = models.ForeignKey(
        "core.School", verbose_name="école", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Les familles d'un enfant de cette école.",
    )
    activity = models.ForeignKey(
        "core.Activity", verbose_name="prestation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Les familles d'un enfant inscrit à cette prestation.",
    )
    first_day = models.DateField("jours concernés : du", null=True, blank=True)
    last_day = models.DateField("au (inclus)", null=True, blank=True, help_text="Vide : un seul jour.")
    only_booked = models.BooleanField(
        "seulement les familles ayant une réservation ces jours-là", default=False,
        help_text="Sinon, les jours servent à la fermeture et à l'information seulement.",
    )
    households = models.ManyToManyField(
        "core.Household", verbose_name="foyers choisis", blank=True, related_name="+",
        help_text="Si des foyers sont choisis, eux seuls reçoivent l'avis (les autres critères sont ignorés).",
    )
    by_email = models.BooleanField("par email", default=True)
    on_home = models.BooleanField("bandeau sur la page d'accueil", default=True)
    shown_until = models.DateField("bandeau affiché jusqu'au (inclus)", null=True, blank=True)
    close_days = models.BooleanField(
        "fermer ces jours-là", default=False,
        help_text="Crée une fermeture (école et prestation choisies, ou toutes) : les réservations de ces jours ne sont pas facturées.",
    )
    closure_kind = models.CharField("type de fermeture", max_length=10, choices=Closure.Kind.choices, default=Closure.Kind.STRIKE)
    closure = models.OneToOneField(
        Closure, verbose_name="fermeture créée", on_delete=models.SET_NULL, null=True, blank=True, related_name="notice"
    )
    recipients = models.ManyToManyField(
        "core.Household", verbose_name="destinataires", blank=True, related_name="notices", through="NoticeRecipient"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="auteur", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="envoyé par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "avis aux familles"
        verbose_name_plural = "avis aux familles"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__isnull=True) | Q(first_day__isnull=False, last_day__gte=models.F("first_day")),
                name="notice_days_ordered",
            ),
            models.CheckConstraint(condition=Q(by_email=True) | Q(on_home=True), name="notice_has_a_channel"),
        ]

    def __str__(self):
        return self.title

    @property
    def days(self):
        """(first, last) of the days concerned, or None."""
        if self.first_day is None:
            return None
        return self.first_day, self.last_day or self.first_day

    def clean(self):
        errors = {}
        if self.last_day and not self.first_day:
            errors["first_day"] = "Indiquez le premier jour."
        elif self.last_day and self.first_day and self.last_day < self.first_day:
            errors["last_day"] = "Le dernier jour doit suivre le premier."
        if not (self.by_email or self.on_home):
            errors["by_email"] = "Choisissez l'email, le bandeau, ou les deux."
        if self.on_home and not self.shown_until:
            errors["shown_until"] = "Indiquez jusqu'à quand le bandeau reste affiché."
        if (self.close_days or self.only_booked) and not self.first_day:
            errors["first_day"] = "Indiquez les jours concernés."
        if errors:
            raise ValidationError(errors)


class NoticeRecipient(models.Model):
    """A household the notice was sent to; `emailed_at` claims its email so that a batch run
    twice sends nothing twice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    household = models.ForeignKey("core.Household", verbose_name="foyer", on_delete=models.CASCADE, related_name="+")
    emailed_at = models.DateTimeField("email envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "destinataire"
        verbose_name_plural = "destinataires"
        constraints = [models.UniqueConstraint(fields=["notice", "household"], name="notice_recipient_unique")]

    def __str__(self):
        return str(self.household)
