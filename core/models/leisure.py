"""Accueil de loisirs (ALSH): the registration windows of its periods. The units themselves are
activities of kind « Accueil de loisirs » (core/models/activities.py)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.constants import PARIS
from core.models.activities import WEEKDAYS, Activity
from core.models.fields import ChoiceSetField


class RegistrationWindow(models.Model):
    """When parents may book the ALSH units of a period (the Wednesdays of a term, a school
    holiday): from `opens_at` to `closes_at`, and from `priority_opens_at` for resident families.
    Outside it, booking these days is refused; cancelling follows the activity's own deadline."""

    label = models.CharField("période", max_length=100, help_text="Par exemple « Vacances d'hiver 2027 ».")
    activities = models.ManyToManyField(
        Activity, verbose_name="unités concernées", related_name="registration_windows",
        limit_choices_to={"kind": Activity.Kind.LEISURE},
    )
    start_date = models.DateField("premier jour de la période")
    end_date = models.DateField("dernier jour de la période (inclus)")
    weekdays = ChoiceSetField(
        "jours d'accueil", item_choices=WEEKDAYS, coerce=int, max_length=20,
        help_text="Le mercredi pour une période scolaire, du lundi au vendredi pour des vacances.",
    )
    opens_at = models.DateTimeField("ouverture des inscriptions", help_text="Heure de Paris.")
    closes_at = models.DateTimeField("clôture des inscriptions", help_text="Heure de Paris.")
    priority_opens_at = models.DateTimeField(
        "ouverture prioritaire (familles résidentes)", null=True, blank=True,
        help_text="Facultatif : les familles résidentes peuvent réserver dès cette heure.",
    )
    min_days_per_week = models.PositiveSmallIntegerField(
        "minimum de jours par semaine", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text="Facultatif : un enfant réservé dans une semaine l'est au moins ce nombre de jours.",
    )

    class Meta:
        verbose_name = "période d'inscription (accueil de loisirs)"
        verbose_name_plural = "périodes d'inscription (accueil de loisirs)"
        ordering = ["start_date", "label"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="window_dates_ordered"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="window_times_ordered"),
            models.CheckConstraint(
                condition=Q(priority_opens_at__isnull=True) | Q(priority_opens_at__lt=models.F("opens_at")),
                name="window_priority_first",
            ),
        ]

    def __str__(self):
        return self.label

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "Le dernier jour doit suivre le premier."})
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "La clôture doit suivre l'ouverture."})
        if self.priority_opens_at and self.opens_at and self.priority_opens_at >= self.opens_at:
            raise ValidationError({"priority_opens_at": "L'ouverture prioritaire précède l'ouverture à tous."})

    def covers(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date and day.weekday() in self.weekdays

    def opening_for(self, *, is_resident: bool) -> datetime.datetime:
        """When this family may start booking: the priority opening for residents, if any."""
        if is_resident and self.priority_opens_at is not None:
            return self.priority_opens_at
        return self.opens_at

    def is_open(self, *, now: datetime.datetime, is_resident: bool) -> bool:
        return self.opening_for(is_resident=is_resident) <= now <= self.closes_at

    @staticmethod
    def moment_label(moment: datetime.datetime) -> str:
        """« 05/01/2027 à 18h00 », Paris time."""
        local = moment.astimezone(PARIS)
        return f"{local:%d/%m/%Y} à {local:%H}h{local:%M}"
