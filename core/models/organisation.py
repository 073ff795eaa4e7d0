"""The town's organisation: régies, schools, school years and closures."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class Regie(models.Model):
    """The collecting unit of the town hall that issues invoices and owns a PayFiP id."""

    name = models.CharField("nom", max_length=150, unique=True)
    address = models.TextField("adresse", blank=True)
    payfip_numcli = models.CharField(
        "identifiant PayFiP (numcli)",
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", "Le numcli PayFiP compte exactement 6 chiffres.")],
    )
    invoice_prefix = models.CharField(
        "préfixe des numéros de facture",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{1,10}$", "Lettres majuscules et chiffres uniquement.")],
        help_text="Sert aussi à la référence de dette PayFiP (lettres et chiffres seulement).",
    )
    public_accountant = models.TextField(
        "comptable public (service de gestion comptable)", blank=True,
        help_text="Nom, adresse et horaires du comptable public qui recouvre les factures transmises ; "
        "affiché aux familles.",
    )
    # SEPA direct debit (prélèvement): empty ICS = the régie offers no direct debit.
    sepa_creditor_id = models.CharField(
        "identifiant créancier SEPA (ICS)",
        max_length=35,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,31}$", "ICS invalide (par exemple FR12ZZZ123456).")],
        help_text="Vide : la régie ne propose pas le prélèvement.",
    )
    sepa_creditor_iban = models.CharField("IBAN du compte de la régie", max_length=34, blank=True)
    sepa_creditor_bic = models.CharField("BIC du compte de la régie", max_length=11, blank=True)
    sepa_notice_days = models.PositiveSmallIntegerField(
        "délai de pré-notification (jours)",
        default=14,
        help_text="14 jours avant le prélèvement, sauf délai plus court prévu au contrat.",
    )
    sepa_debit_day = models.PositiveSmallIntegerField(
        "jour du prélèvement dans le mois", default=10, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    sepa_parent_can_sign = models.BooleanField(
        "le parent signe le mandat en ligne",
        default=False,
        help_text="Sinon, un agent valide chaque mandat après réception du mandat signé.",
    )
    sepa_auto_confirm = models.BooleanField(
        "encaissement confirmé à la date de prélèvement",
        default=False,
        help_text="Sinon, un agent confirme chaque lot transmis. Un rejet reçu ensuite reste saisissable.",
    )
    sepa_reject_fee = models.DecimalField(
        "frais de rejet (€)", max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    sepa_max_rejects = models.PositiveSmallIntegerField(
        "rejets avant suspension du mandat", default=2, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = "régie"
        verbose_name_plural = "régies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def offers_direct_debit(self):
        return bool(self.sepa_creditor_id and self.sepa_creditor_iban)


class School(models.Model):
    class Kind(models.TextChoices):
        MATERNELLE = "maternelle", "Maternelle"
        ELEMENTAIRE = "elementaire", "Élémentaire"

    name = models.CharField("nom", max_length=150, unique=True)
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    address = models.TextField("adresse", blank=True)
    caterer_email = models.EmailField(
        "email de la cuisine ou du prestataire", blank=True,
        help_text="Reçoit la commande de repas (PDF et tableur) à chaque clôture des réservations. Vide : pas d'envoi.",
    )

    class Meta:
        verbose_name = "école"
        verbose_name_plural = "écoles"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["maternelle", "elementaire"]), name="school_kind_valid")
        ]

    def __str__(self):
        return self.name


class SchoolYearQuerySet(models.QuerySet):
    def containing(self, day):
        return self.filter(start_date__lte=day, end_date__gte=day)


class SchoolYear(models.Model):
    label = models.CharField("année scolaire", max_length=9, unique=True, help_text="Par exemple 2026-2027.")
    start_date = models.DateField("rentrée")
    end_date = models.DateField("fin des cours")

    objects = SchoolYearQuerySet.as_manager()

    class Meta:
        verbose_name = "année scolaire"
        verbose_name_plural = "années scolaires"
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="schoolyear_dates_ordered")
        ]

    def __str__(self):
        return self.label

    def clean(self):
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": "La fin de l'année doit suivre la rentrée."})

    def contains(self, day):
        return self.start_date <= day <= self.end_date


class ClosureQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        return self.filter(start_date__lte=end, end_date__gte=start)


class Closure(models.Model):
    """Days without service: school holidays of the town's zone, strikes, exceptional closures.
    Public holidays are not typed in here: they come from the `holidays` package."""

    class Kind(models.TextChoices):
        HOLIDAYS = "vacances", "Vacances scolaires"
        STRIKE = "greve", "Grève"
        CLOSURE = "fermeture", "Fermeture exceptionnelle"
        OTHER = "autre", "Autre"

    name = models.CharField("libellé", max_length=150, help_text="Affiché aux familles, par exemple « Vacances de la Toussaint ».")
    kind = models.CharField("type", max_length=10, choices=Kind.choices, default=Kind.HOLIDAYS)
    start_date = models.DateField("du")
    end_date = models.DateField("au (inclus)")
    school = models.ForeignKey(
        School,
        verbose_name="école",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="Vide : toutes les écoles.",
    )
    activity = models.ForeignKey(
        "core.Activity",
        verbose_name="prestation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        help_text="Vide : toutes les prestations.",
    )

    objects = ClosureQuerySet.as_manager()

    class Meta:
        verbose_name = "fermeture"
        verbose_name_plural = "fermetures"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="closure_dates_ordered")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "La date de fin doit être postérieure ou égale à la date de début."})

    def applies_to(self, *, day, school_id=None, activity_id=None):
        return (
            self.start_date <= day <= self.end_date
            and (self.school_id is None or self.school_id == school_id)
            and (self.activity_id is None or self.activity_id == activity_id)
        )
