"""Families: households, their quotient familial history, guardians and children."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Address(models.Model):
    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def address_lines(self):
        town = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.address_line1, self.address_line2, town) if line]

    @property
    def full_address(self):
        return "\n".join(self.address_lines)


class HouseholdQuerySet(models.QuerySet):
    def active(self):
        return self.filter(left_on__isnull=True)


class Household(Address):
    """The billing unit: one family, its address and its quotient familial."""

    reference = models.CharField("référence", max_length=20, unique=True)
    name = models.CharField("nom de la famille", max_length=150)
    is_resident = models.BooleanField(
        "résident de la commune", default=True, help_text="Les non-résidents paient le tarif extérieur."
    )
    notes = models.TextField("notes internes", blank=True)
    reminders_disabled = models.BooleanField(
        "relances désactivées", default=False,
        help_text="Aucune relance automatique pour ce foyer (échéancier accordé, situation suivie…).",
    )
    left_on = models.DateField("a quitté la commune le", null=True, blank=True)
    anonymised_at = models.DateTimeField(
        "anonymisé le", null=True, blank=True, editable=False,
        help_text="Données personnelles effacées (RGPD) ; les factures émises sont conservées.",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "foyer"
        verbose_name_plural = "foyers"
        ordering = ["name", "reference"]

    def __str__(self):
        return f"{self.name} ({self.reference})"

    def quotient_on(self, day):
        """The quotient familial that applies on `day`, or None when none is known."""
        for qf in sorted(self.quotients.all(), key=lambda q: q.valid_from, reverse=True):
            if qf.valid_from <= day:
                return qf.value
        return None

    @property
    def billing_guardian(self):
        guardians = list(self.guardians.all())
        return next((g for g in guardians if g.is_billing_contact), guardians[0] if guardians else None)


class QuotientFamilial(models.Model):
    """A quotient familial (CAF) value and the day it applies from; the latest one not after a
    given day is the one used to price that day."""

    household = models.ForeignKey(Household, verbose_name="foyer", on_delete=models.CASCADE, related_name="quotients")
    value = models.PositiveIntegerField("quotient familial (€)")
    valid_from = models.DateField("applicable à partir du")
    source = models.CharField("justificatif", max_length=100, blank=True, help_text="Par exemple « attestation CAF ».")

    class Meta:
        verbose_name = "quotient familial"
        verbose_name_plural = "quotients familiaux"
        ordering = ["household", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["household", "valid_from"], name="quotient_unique_per_day"),
        ]

    def __str__(self):
        return f"QF {self.value} € au {self.valid_from:%d/%m/%Y}"


class Guardian(Address):
    """An adult of a household (responsable légal). Each guardian may own a portal login."""

    household = models.ForeignKey(Household, verbose_name="foyer", on_delete=models.CASCADE, related_name="guardians")
    civility = models.CharField(
        "civilité", max_length=4, blank=True, choices=[("M", "M."), ("MME", "Mme")]
    )
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    email = models.EmailField("email", null=True, blank=True)
    email_verified_at = models.DateTimeField("email vérifié le", null=True, blank=True)
    phone_mobile = models.CharField("téléphone portable", max_length=20, blank=True)
    phone_home = models.CharField("téléphone fixe", max_length=20, blank=True)
    phone_work = models.CharField("téléphone professionnel", max_length=20, blank=True)
    is_billing_contact = models.BooleanField(
        "destinataire des factures", default=False, help_text="Un seul par foyer."
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="compte portail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "responsable"
        verbose_name_plural = "responsables"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=Q(email__isnull=False), name="guardian_email_unique"),
            models.UniqueConstraint(
                fields=["household"], condition=Q(is_billing_contact=True), name="one_billing_contact_per_household"
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        civility = self.get_civility_display()
        return " ".join(part for part in (civility, self.last_name.upper(), self.first_name) if part)

    @property
    def has_activated_account(self):
        return self.user_id is not None and self.email_verified_at is not None

    EMAIL_TAKEN = "Cette adresse email est déjà celle d'un autre responsable."

    @classmethod
    def email_owners(cls, emails):
        """{email: guardian id} for those of `emails` (normalised) already used: one query to
        check many guardians at once, as a spreadsheet import does."""
        return dict(cls.objects.filter(email__in=set(emails)).values_list("email", "pk"))

    def clean(self):
        # Store "no email" as NULL so that the conditional unique constraint ignores it.
        self.email = (self.email or "").strip().lower() or None
        if self.email:
            others = Guardian.objects.filter(email=self.email).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"email": self.EMAIL_TAKEN})


class Child(models.Model):
    class Grade(models.TextChoices):
        PS = "PS", "Petite section"
        MS = "MS", "Moyenne section"
        GS = "GS", "Grande section"
        CP = "CP", "CP"
        CE1 = "CE1", "CE1"
        CE2 = "CE2", "CE2"
        CM1 = "CM1", "CM1"
        CM2 = "CM2", "CM2"

    MATERNELLE_GRADES = ("PS", "MS", "GS")

    household = models.ForeignKey(Household, verbose_name="foyer", on_delete=models.CASCADE, related_name="children")
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    birth_date = models.DateField("date de naissance")
    school = models.ForeignKey(
        "core.School", verbose_name="école", on_delete=models.PROTECT, related_name="children", null=True, blank=True
    )
    grade = models.CharField("classe", max_length=3, choices=Grade.choices)
    diet = models.CharField(
        "régime alimentaire", max_length=100, blank=True, help_text="Par exemple « sans porc », « végétarien »."
    )
    allergies = models.TextField("allergies", blank=True)
    has_pai = models.BooleanField("PAI", default=False, help_text="Projet d'accueil individualisé.")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "enfant"
        verbose_name_plural = "enfants"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__in=["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]), name="child_grade_valid"
            )
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"

    def age_on(self, day):
        """Age in whole years on `day`."""
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def is_maternelle(self):
        return self.grade in self.MATERNELLE_GRADES

    @property
    def level_label(self):
        return "Maternelle" if self.is_maternelle else "Primaire"

    def clean(self):
        from core.models.organisation import School

        if self.school_id and self.grade:
            expected = School.Kind.MATERNELLE if self.is_maternelle else School.Kind.ELEMENTAIRE
            if self.school.kind != expected:
                raise ValidationError(
                    {"school": f"La classe {self.grade} ne correspond pas à une école {self.school.get_kind_display().lower()}."}
                )
