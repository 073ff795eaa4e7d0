"""Activities (prestations), their deadline rules, tariffs and the children enrolled in them."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.models.fields import ChoiceSetField
from core.models.households import Child

WEEKDAYS = [
    (0, "Lundi"),
    (1, "Mardi"),
    (2, "Mercredi"),
    (3, "Jeudi"),
    (4, "Vendredi"),
    (5, "Samedi"),
    (6, "Dimanche"),
]


class DeadlineRule(models.Model):
    """When parents stop being able to book or cancel a service day, as data.

    - calendar_days: N calendar days before the day, at `time`;
    - working_days: N working days before the day (no weekend, public holiday or closure), at `time`;
    - weekly: the service week closes on `weekday` of the week `weeks_before` weeks earlier, at `time`.
    """

    class Kind(models.TextChoices):
        CALENDAR_DAYS = "calendar_days", "Jours calendaires avant"
        WORKING_DAYS = "working_days", "Jours ouvrés avant"
        WEEKLY = "weekly", "Hebdomadaire (la semaine précédente)"

    name = models.CharField("nom", max_length=100, unique=True)
    kind = models.CharField("type", max_length=14, choices=Kind.choices)
    days = models.PositiveSmallIntegerField(
        "nombre de jours", default=0, validators=[MaxValueValidator(60)], help_text="Pour les règles en jours."
    )
    weekday = models.PositiveSmallIntegerField(
        "jour de clôture", null=True, blank=True, choices=WEEKDAYS, help_text="Pour la règle hebdomadaire."
    )
    weeks_before = models.PositiveSmallIntegerField(
        "semaines avant",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="Pour la règle hebdomadaire : 1 = la semaine précédente.",
    )
    time = models.TimeField("heure limite", default=datetime.time(10, 0))

    class Meta:
        verbose_name = "règle de délai"
        verbose_name_plural = "règles de délai"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["calendar_days", "working_days", "weekly"]), name="deadlinerule_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="weekly") | Q(weekday__isnull=False, weekday__lte=6, weeks_before__gte=1),
                name="deadlinerule_weekly_has_weekday",
            ),
            models.CheckConstraint(condition=Q(days__lte=60), name="deadlinerule_days_bounded"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.WEEKLY and self.weekday is None:
            raise ValidationError({"weekday": "Une règle hebdomadaire a besoin d'un jour de clôture."})

    @property
    def description(self):
        at = f"{self.time:%H:%M}".replace(":", "h")
        if self.kind == self.Kind.CALENDAR_DAYS:
            if self.days == 0:
                return f"le jour même à {at}"
            if self.days == 1:
                return f"la veille à {at}"
            return f"{self.days} jours avant à {at}"
        if self.kind == self.Kind.WORKING_DAYS:
            return f"{self.days} jour{'s' if self.days > 1 else ''} ouvré{'s' if self.days > 1 else ''} avant à {at}"
        week = "la semaine précédente" if self.weeks_before == 1 else f"{self.weeks_before} semaines avant"
        return f"{self.get_weekday_display().lower()} {at}, {week}"


class AbsenceCertificateRule(models.TextChoices):
    """When a parent's absence declaration for an activity needs a medical certificate."""

    NEVER = "never", "Jamais"
    OVER_DAYS = "over_days", "Quand l'absence dépasse un nombre de jours"
    AFTER_THE_DAY = "after_day", "Quand l'absence est déclarée après le jour"
    ALWAYS = "always", "Toujours"


class Activity(models.Model):
    """A service parents book per day: a meal (cantine), childcare (garderie) or one unit of the
    accueil de loisirs (ALSH: « 3–5 ans — matin »). An ALSH unit is its own activity, one per age
    group and unit, so that its capacity, tariffs, bookings, waiting list, attendance and invoice
    lines are those of any activity; `half_day`, `includes_meal` and the age bounds say what it is."""

    class Kind(models.TextChoices):
        MEAL = "meal", "Restauration scolaire"
        CHILDCARE = "childcare", "Garde périscolaire"
        LEISURE = "leisure", "Accueil de loisirs"

    class HalfDay(models.TextChoices):
        MORNING = "morning", "Matin"
        AFTERNOON = "afternoon", "Après-midi"
        DAY = "day", "Journée"

    name = models.CharField("nom", max_length=100, unique=True)
    code = models.SlugField("code", max_length=30, unique=True)
    kind = models.CharField(
        "nature",
        max_length=10,
        choices=Kind.choices,
        help_text="Les repas et la garde sont facturés sur des lignes distinctes (crédit d'impôt garde).",
    )
    regie = models.ForeignKey("core.Regie", verbose_name="régie", on_delete=models.PROTECT, related_name="activities")
    weekdays = ChoiceSetField("jours de service", item_choices=WEEKDAYS, coerce=int, max_length=20)
    grades = ChoiceSetField("classes acceptées", item_choices=Child.Grade.choices, max_length=40)
    capacity = models.PositiveIntegerField("capacité par jour", null=True, blank=True, help_text="Vide : sans limite.")
    booking_rule = models.ForeignKey(
        DeadlineRule, verbose_name="délai de réservation", on_delete=models.PROTECT, related_name="+"
    )
    cancellation_rule = models.ForeignKey(
        DeadlineRule, verbose_name="délai d'annulation", on_delete=models.PROTECT, related_name="+"
    )
    late_surcharge = models.DecimalField(
        "majoration sans réservation",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Ajoutée au prix unitaire d'une présence non réservée.",
    )
    absence_certificate_rule = models.CharField(
        "certificat médical pour une absence", max_length=10, choices=AbsenceCertificateRule.choices,
        default=AbsenceCertificateRule.NEVER,
        help_text="Quand une absence déclarée par la famille doit être justifiée par un certificat médical.",
    )
    absence_certificate_days = models.PositiveSmallIntegerField(
        "jours d'absence sans certificat", default=1,
        help_text="Pour la règle « quand l'absence dépasse un nombre de jours » : au-delà de ce nombre de jours, "
        "un certificat est demandé.",
    )
    is_active = models.BooleanField("proposée aux familles", default=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=0)
    half_day = models.CharField(
        "unité (accueil de loisirs)", max_length=10, choices=HalfDay.choices, blank=True,
        help_text="Accueil de loisirs : la partie de la journée que couvre cette unité.",
    )
    includes_meal = models.BooleanField(
        "avec repas", default=False,
        help_text="Accueil de loisirs : l'unité comprend le repas, compté dans les effectifs des cuisines.",
    )
    min_age = models.PositiveSmallIntegerField(
        "âge à partir de (ans)", null=True, blank=True, validators=[MaxValueValidator(20)],
        help_text="Accueil de loisirs : tranche d'âge, l'âge étant pris au premier jour de la période d'inscription.",
    )
    max_age = models.PositiveSmallIntegerField(
        "âge jusqu'à (ans, inclus)", null=True, blank=True, validators=[MaxValueValidator(20)]
    )

    class Meta:
        verbose_name = "prestation"
        verbose_name_plural = "prestations"
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["meal", "childcare", "leisure"]), name="activity_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="leisure") | Q(half_day="", includes_meal=False, min_age__isnull=True, max_age__isnull=True),
                name="activity_unit_only_leisure",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="activity_age_bounds_ordered",
            ),
            models.CheckConstraint(condition=Q(late_surcharge__gte=0), name="activity_surcharge_positive"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.LEISURE and not self.half_day:
            raise ValidationError({"half_day": "Une unité d'accueil de loisirs couvre le matin, l'après-midi ou la journée."})
        if self.kind != self.Kind.LEISURE and (self.half_day or self.includes_meal or self.min_age is not None or self.max_age is not None):
            raise ValidationError("L'unité, le repas et la tranche d'âge ne concernent que l'accueil de loisirs.")
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValidationError({"max_age": "L'âge maximum doit suivre l'âge minimum."})

    @property
    def is_leisure(self):
        return self.kind == self.Kind.LEISURE

    def accepts_grade(self, grade):
        return grade in self.grades

    def accepts_age(self, age):
        """Whether a child of `age` (whole years) belongs to this unit's age group."""
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)

    @property
    def age_group_label(self):
        if self.min_age is None and self.max_age is None:
            return "tous âges"
        if self.max_age is None:
            return f"{self.min_age} ans et plus"
        return f"{self.min_age or 0}–{self.max_age} ans"

    def needs_absence_certificate(self, *, days, declared_on):
        """Whether an absence over `days` (the dates of this activity a declaration covers),
        declared on `declared_on`, needs a medical certificate under this activity's rule."""
        rule = self.absence_certificate_rule
        if rule == AbsenceCertificateRule.ALWAYS:
            return True
        if rule == AbsenceCertificateRule.OVER_DAYS:
            return len(set(days)) > self.absence_certificate_days
        if rule == AbsenceCertificateRule.AFTER_THE_DAY:
            return any(day < declared_on for day in days)
        return False

    @property
    def absence_certificate_rule_label(self):
        """The rule in French, for the families: « au-delà de 2 jours d'absence »."""
        rule = self.absence_certificate_rule
        if rule == AbsenceCertificateRule.OVER_DAYS:
            days = self.absence_certificate_days
            return f"au-delà de {days} jour{'s' if days > 1 else ''} d'absence"
        if rule == AbsenceCertificateRule.AFTER_THE_DAY:
            return "quand l'absence est déclarée après le jour"
        if rule == AbsenceCertificateRule.ALWAYS:
            return "pour toute absence"
        return "jamais"

    def runs_on_weekday(self, day):
        return day.weekday() in self.weekdays


class QuotientBracket(models.Model):
    """A quotient-familial bracket (tranche). A household with no known quotient pays the
    highest bracket."""

    label = models.CharField("libellé", max_length=50, unique=True)
    min_value = models.PositiveIntegerField("QF à partir de (€)", unique=True)
    max_value = models.PositiveIntegerField("QF jusqu'à (€, inclus)", null=True, blank=True, help_text="Vide : sans plafond.")

    class Meta:
        verbose_name = "tranche de quotient familial"
        verbose_name_plural = "tranches de quotient familial"
        ordering = ["min_value"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_value__isnull=True) | Q(max_value__gte=models.F("min_value")),
                name="bracket_bounds_ordered",
            )
        ]

    def __str__(self):
        return self.label

    def contains(self, value):
        return self.min_value <= value and (self.max_value is None or value <= self.max_value)

    @classmethod
    def for_quotient(cls, value, brackets=None):
        """The bracket of a quotient value; the highest bracket when the value is unknown."""
        brackets = sorted(brackets if brackets is not None else cls.objects.all(), key=lambda b: b.min_value)
        if not brackets:
            return None
        if value is None:
            return brackets[-1]
        return next((b for b in brackets if b.contains(value)), brackets[-1])


class Tariff(models.Model):
    """Unit price of an activity for a quotient bracket and residence, over a validity period."""

    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="tariffs")
    bracket = models.ForeignKey(
        QuotientBracket, verbose_name="tranche", on_delete=models.PROTECT, related_name="tariffs"
    )
    is_resident = models.BooleanField("tarif résident", default=True)
    unit_price = models.DecimalField(
        "prix unitaire (€)", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    valid_from = models.DateField("valable du")
    valid_to = models.DateField("valable jusqu'au (inclus)", null=True, blank=True)

    class Meta:
        verbose_name = "tarif"
        verbose_name_plural = "tarifs"
        ordering = ["activity", "is_resident", "bracket__min_value", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="tariff_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="tariff_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["activity", "bracket", "is_resident", "valid_from"], name="tariff_unique_start"
            ),
        ]

    def __str__(self):
        residence = "résident" if self.is_resident else "extérieur"
        return f"{self.activity} — {self.bracket} ({residence}) : {self.unit_price} €"

    def clean(self):
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "La fin de validité doit suivre son début."})
        if not (self.activity_id and self.bracket_id and self.valid_from):
            return
        overlapping = (
            Tariff.objects.filter(activity_id=self.activity_id, bracket_id=self.bracket_id, is_resident=self.is_resident)
            .exclude(pk=self.pk)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))
        )
        if self.valid_to:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        if overlapping.exists():
            raise ValidationError("Un autre tarif de cette prestation et de cette tranche couvre déjà une partie de ces dates.")


class EnrolmentQuerySet(models.QuerySet):
    def accepted(self):
        return self.filter(status=Enrolment.Status.ACCEPTED)


class Enrolment(models.Model):
    """A child admitted to an activity for a school year (Mes inscriptions)."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        ACCEPTED = "accepted", "Validée"
        REFUSED = "refused", "Refusée"
        ENDED = "ended", "Terminée"

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="enrolments")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="enrolments")
    school_year = models.ForeignKey(
        "core.SchoolYear", verbose_name="année scolaire", on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    weekdays = ChoiceSetField(
        "jours habituels", item_choices=WEEKDAYS, coerce=int, max_length=20, blank=True,
        help_text="Les jours où l'enfant vient d'habitude : ils pré-remplissent sa semaine type.",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = "inscription"
        verbose_name_plural = "inscriptions"
        ordering = ["child", "activity__position"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "school_year"], name="enrolment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "refused", "ended"]), name="enrolment_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.child} — {self.activity} ({self.school_year})"

    def clean(self):
        if self.child_id and self.activity_id and not self.activity.accepts_grade(self.child.grade):
            raise ValidationError(
                {"activity": f"La prestation « {self.activity} » n'accepte pas les enfants de {self.child.grade}."}
            )
        if self.activity_id and set(self.weekdays or ()) - set(self.activity.weekdays):
            raise ValidationError(
                {"weekdays": f"La prestation « {self.activity} » ne fonctionne pas tous ces jours-là."}
            )
