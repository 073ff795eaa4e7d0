"""Online enrolment: a school year's campaign, the services it offers with the documents they
require, and each child's request (dossier d'inscription) with its health and authorisations form."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models.activities import WEEKDAYS, Activity
from core.models.documents import DocumentType, HouseholdDocument
from core.models.fields import ChoiceSetField
from core.models.households import Child, Guardian
from core.models.organisation import School, SchoolYear


class EnrolmentCampaign(models.Model):
    """The window (Europe/Paris) during which families enrol their children for a school year."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name="année scolaire", on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField("nom", max_length=150, help_text="Par exemple « Inscriptions 2027-2028 ».")
    opens_at = models.DateTimeField("ouverture")
    closes_at = models.DateTimeField("clôture")
    message = models.TextField("message aux familles", blank=True)
    leave_alone_grades = ChoiceSetField(
        "classes autorisées à partir seules", item_choices=Child.Grade.choices, max_length=40, blank=True,
        default="CE2,CM1,CM2",
    )

    class Meta:
        verbose_name = "campagne d'inscription"
        verbose_name_plural = "campagnes d'inscription"
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="campaign_dates_ordered"),
        ]

    def __str__(self):
        return self.name

    def is_open(self, at):
        return self.opens_at <= at < self.closes_at


class CampaignService(models.Model):
    """A service a campaign offers, to which schools, and the documents it asks for."""

    campaign = models.ForeignKey(
        EnrolmentCampaign, verbose_name="campagne", on_delete=models.CASCADE, related_name="services"
    )
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="+")
    schools = models.ManyToManyField(
        School, verbose_name="écoles", blank=True, related_name="+", help_text="Aucune : toutes les écoles."
    )
    asks_days = models.BooleanField("demander les jours de fréquentation", default=False)
    required_documents = models.ManyToManyField(
        DocumentType, verbose_name="documents obligatoires", blank=True, related_name="+"
    )
    optional_documents = models.ManyToManyField(
        DocumentType, verbose_name="documents facultatifs", blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "prestation proposée"
        verbose_name_plural = "prestations proposées"
        ordering = ["campaign", "activity__position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "activity"], name="campaign_service_unique"),
        ]

    def __str__(self):
        return f"{self.activity} ({self.campaign})"


class EnrolmentRequest(models.Model):
    """A child's request for a campaign: chosen services, health and authorisations form,
    documents, and staff's decision."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Envoyée"
        INCOMPLETE = "incomplete", "À compléter"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"

    campaign = models.ForeignKey(
        EnrolmentCampaign, verbose_name="campagne", on_delete=models.PROTECT, related_name="requests"
    )
    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="enrolment_requests")
    status = models.CharField("statut", max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Health and authorisations (fiche sanitaire)
    allergies = models.TextField("allergies", blank=True)
    diet = models.CharField("régime alimentaire", max_length=100, blank=True)
    has_pai = models.BooleanField("PAI", default=False, help_text="Projet d'accueil individualisé.")
    pai_details = models.TextField("précisions sur le PAI", blank=True)
    doctor_name = models.CharField("médecin traitant", max_length=150, blank=True)
    doctor_phone = models.CharField("téléphone du médecin", max_length=20, blank=True)
    emergency_contacts = models.JSONField("personnes à prévenir en cas d'urgence", default=list, blank=True)
    authorised_people = models.JSONField("personnes autorisées à venir chercher l'enfant", default=list, blank=True)
    photo_consent = models.BooleanField("autorise les photos", default=False)
    may_leave_alone = models.BooleanField("autorisé à partir seul", default=False)
    # Follow-up
    staff_message = models.TextField("message de la mairie", blank=True)
    created_by = models.ForeignKey(
        Guardian, verbose_name="créée par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    documents = models.ManyToManyField(
        HouseholdDocument, verbose_name="documents", blank=True, related_name="enrolment_requests"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    submitted_at = models.DateTimeField("envoyée le", null=True, blank=True)
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="décidée par", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "dossier d'inscription"
        verbose_name_plural = "dossiers d'inscription"
        ordering = ["campaign", "child__last_name", "child__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "child"], name="enrolment_request_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "incomplete", "accepted", "refused"]),
                name="enrolment_request_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.child} — {self.campaign}"

    EDITABLE_STATUSES = (Status.DRAFT, Status.INCOMPLETE)
    REVIEWABLE_STATUSES = (Status.SUBMITTED, Status.INCOMPLETE)

    @property
    def is_editable(self):
        """The family may still change it (the campaign's dates are checked by the services)."""
        return self.status in self.EDITABLE_STATUSES


class RequestedService(models.Model):
    """A service chosen in a request, with the days usually attended when the service asks."""

    request = models.ForeignKey(
        EnrolmentRequest, verbose_name="dossier", on_delete=models.CASCADE, related_name="requested_services"
    )
    service = models.ForeignKey(CampaignService, verbose_name="prestation", on_delete=models.PROTECT, related_name="+")
    weekdays = ChoiceSetField("jours de fréquentation", item_choices=WEEKDAYS, coerce=int, max_length=20, blank=True)

    class Meta:
        verbose_name = "prestation demandée"
        verbose_name_plural = "prestations demandées"
        ordering = ["request", "service__activity__position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "service"], name="requested_service_unique"),
        ]

    def __str__(self):
        return str(self.service.activity)
