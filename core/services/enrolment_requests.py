"""Online enrolment: a child's request during a campaign, from draft to staff's decision. Every
status change goes through here and sends the guardians an email; acceptance creates the year's
enrolments and records the quotient familial read on an accepted attestation."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.emails import queue_email
from core.models import (
    CampaignService,
    Child,
    DocumentType,
    Enrolment,
    EnrolmentCampaign,
    EnrolmentRequest,
    Guardian,
    HouseholdDocument,
    QuotientFamilial,
    RequestedService,
)
from core.services.documents import document_review, document_upload, documents_usable

Status = EnrolmentRequest.Status
MAX_FILES_PER_REQUEST = 20
MAX_CONTACTS = 6
HEALTH_FIELDS = ("allergies", "diet", "has_pai", "pai_details", "doctor_name", "doctor_phone", "emergency_contacts",
                 "authorised_people", "photo_consent", "may_leave_alone")
QUOTIENT_SOURCE = "Attestation (dossier d'inscription)"


class EnrolmentRequestError(ValueError):
    """A refused step, with the French message to show."""


def campaigns_open(*, now: datetime.datetime):
    return EnrolmentCampaign.objects.filter(opens_at__lte=now, closes_at__gt=now).select_related("school_year")


def services_offered(*, campaign: EnrolmentCampaign, child: Child) -> list[CampaignService]:
    """The campaign's services for the child's grade and school (a service with no school listed
    is offered to every school)."""
    services = (
        campaign.services.filter(activity__is_active=True)
        .filter(Q(schools__isnull=True) | Q(schools=child.school_id))
        .select_related("activity").prefetch_related("required_documents", "optional_documents").distinct()
    )
    return [service for service in services if service.activity.accepts_grade(child.grade)]


def reference_day(campaign: EnrolmentCampaign) -> datetime.date:
    """Documents must still be valid when the school year starts."""
    return campaign.school_year.start_date


def documents_asked(*, enrolment_request: EnrolmentRequest) -> list[dict]:
    """Each document type the chosen services ask for: required or not, and the document that
    answers it (attached to the request, or already held and still valid), if any."""
    services = [rs.service for rs in enrolment_request.requested_services.select_related("service")]
    asked: dict[int, dict] = {}
    for service in services:
        for kind in service.required_documents.all():
            asked.setdefault(kind.pk, {"type": kind, "required": True})["required"] = True
        for kind in service.optional_documents.all():
            asked.setdefault(kind.pk, {"type": kind, "required": False})
    day = reference_day(enrolment_request.campaign)
    held = documents_usable(household=enrolment_request.child.household, on=day, types=list(asked))
    attached = {}
    for document in enrolment_request.documents.select_related("document_type").order_by("-uploaded_at"):
        if document.is_usable_on(day):
            attached.setdefault(document.document_type_id, document)
    for type_id, entry in asked.items():
        entry["document"] = attached.get(type_id) or held.get(type_id)
    return sorted(asked.values(), key=lambda e: (not e["required"], e["type"].position, e["type"].name))


def missing_documents(*, enrolment_request: EnrolmentRequest) -> list[DocumentType]:
    """Required document types with no valid document: what still blocks the request."""
    return [entry["type"] for entry in documents_asked(enrolment_request=enrolment_request)
            if entry["required"] and entry["document"] is None]


def _check_guardian(enrolment_request, guardian):
    if guardian is not None and guardian.household_id != enrolment_request.child.household_id:
        raise EnrolmentRequestError("Ce dossier n'est pas celui de votre foyer.")


def _check_editable(enrolment_request, now):
    if not enrolment_request.is_editable:
        raise EnrolmentRequestError("Ce dossier a été envoyé : il ne peut plus être modifié.")
    if enrolment_request.status == Status.DRAFT and not enrolment_request.campaign.is_open(now):
        raise EnrolmentRequestError("La campagne d'inscription est fermée.")


def _previous_request(child, campaign):
    return (
        EnrolmentRequest.objects.filter(child=child, campaign__opens_at__lt=campaign.opens_at)
        .exclude(status=Status.DRAFT).order_by("-campaign__opens_at").prefetch_related("requested_services__service").first()
    )


@transaction.atomic
def request_start(*, campaign: EnrolmentCampaign, child: Child, guardian: Guardian | None = None,
                  now: datetime.datetime | None = None) -> EnrolmentRequest:
    """The child's request for this campaign, created as a draft on first visit while the
    campaign is open; on re-enrolment it is pre-filled from last year's request."""
    now = now or timezone.now()
    if guardian is not None and guardian.household_id != child.household_id:
        raise EnrolmentRequestError("Cet enfant n'est pas dans votre foyer.")
    existing = EnrolmentRequest.objects.filter(campaign=campaign, child=child).first()
    if existing:
        return existing
    if not campaign.is_open(now):
        raise EnrolmentRequestError("La campagne d'inscription est fermée.")
    previous = _previous_request(child, campaign)
    if previous:
        values = {field: getattr(previous, field) for field in HEALTH_FIELDS}
    else:
        values = {"allergies": child.allergies, "diet": child.diet, "has_pai": child.has_pai}
    if child.grade not in campaign.leave_alone_grades:
        values["may_leave_alone"] = False
    enrolment_request, created = EnrolmentRequest.objects.get_or_create(
        campaign=campaign, child=child, defaults={**values, "created_by": guardian}
    )
    if created and previous:
        offered = {service.activity_id: service for service in services_offered(campaign=campaign, child=child)}
        for old in previous.requested_services.all():
            service = offered.get(old.service.activity_id)
            if service:
                RequestedService.objects.create(request=enrolment_request, service=service, weekdays=old.weekdays)
    return enrolment_request


def _clean_people(people, *, label):
    cleaned = []
    for person in people or []:
        entry = {key: " ".join(str(person.get(key, "")).split())[:100] for key in ("name", "phone", "relation")}
        if not any(entry.values()):
            continue
        if not (entry["name"] and entry["phone"]):
            raise EnrolmentRequestError(f"{label} : indiquez le nom et le téléphone de chaque personne.")
        cleaned.append(entry)
    if len(cleaned) > MAX_CONTACTS:
        raise EnrolmentRequestError(f"{label} : {MAX_CONTACTS} personnes au plus.")
    return cleaned


@transaction.atomic
def request_save(*, enrolment_request: EnrolmentRequest, guardian: Guardian | None, services: dict[int, list[int]],
                 health: dict, now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Save the family's choices as they are (a draft loses nothing): `services` maps each chosen
    campaign service id to the weekdays usually attended; `health` holds the form's fields."""
    now = now or timezone.now()
    enrolment_request = EnrolmentRequest.objects.select_for_update().select_related("campaign", "child").get(
        pk=enrolment_request.pk)
    _check_guardian(enrolment_request, guardian)
    _check_editable(enrolment_request, now)
    offered = {s.pk: s for s in services_offered(campaign=enrolment_request.campaign, child=enrolment_request.child)}
    unknown = set(services) - set(offered)
    if unknown:
        raise EnrolmentRequestError("Cette prestation n'est pas proposée pour cet enfant.")
    for field in HEALTH_FIELDS:
        if field in health:
            setattr(enrolment_request, field, health[field])
    enrolment_request.emergency_contacts = _clean_people(enrolment_request.emergency_contacts,
                                                         label="Personnes à prévenir")
    enrolment_request.authorised_people = _clean_people(enrolment_request.authorised_people,
                                                        label="Personnes autorisées")
    if enrolment_request.child.grade not in enrolment_request.campaign.leave_alone_grades:
        enrolment_request.may_leave_alone = False
    enrolment_request.save()
    enrolment_request.requested_services.exclude(service_id__in=services).delete()
    for service_id, weekdays in services.items():
        service = offered[service_id]
        days = [d for d in weekdays if d in service.activity.weekdays] if service.asks_days else []
        RequestedService.objects.update_or_create(request=enrolment_request, service=service,
                                                  defaults={"weekdays": days})
    return enrolment_request


@transaction.atomic
def request_add_document(*, enrolment_request: EnrolmentRequest, guardian: Guardian | None,
                         document_type: DocumentType, uploaded_file,
                         now: datetime.datetime | None = None) -> HouseholdDocument:
    """A document sent with the request: stored through `document_upload`, then attached."""
    now = now or timezone.now()
    _check_guardian(enrolment_request, guardian)
    _check_editable(enrolment_request, now)
    if enrolment_request.documents.count() >= MAX_FILES_PER_REQUEST:
        raise EnrolmentRequestError(f"Un dossier compte {MAX_FILES_PER_REQUEST} fichiers au plus.")
    asked = {entry["type"].pk for entry in documents_asked(enrolment_request=enrolment_request)}
    if document_type.pk not in asked:
        raise EnrolmentRequestError("Ce document n'est pas demandé pour les prestations choisies.")
    document = document_upload(household=enrolment_request.child.household, document_type=document_type,
                               uploaded_file=uploaded_file, uploaded_by=guardian, now=now)
    enrolment_request.documents.add(document)
    return document


def _guardian_emails(enrolment_request):
    return [g.email for g in enrolment_request.child.household.guardians.all() if g.email]


def _notify(enrolment_request):
    """The email each status change sends to the household's guardians."""
    enrolment_request.refresh_from_db()
    return queue_email(
        kind="enrolment_request_status",
        recipients=_guardian_emails(enrolment_request),
        household=enrolment_request.child.household,
        context={
            "request": enrolment_request,
            "child": enrolment_request.child,
            "campaign": enrolment_request.campaign,
            "services": [rs.service.activity.name for rs in
                         enrolment_request.requested_services.select_related("service__activity")],
        },
    )


def _locked(enrolment_request):
    return EnrolmentRequest.objects.select_for_update().select_related(
        "campaign__school_year", "child__household").get(pk=enrolment_request.pk)


@transaction.atomic
def request_submit(*, enrolment_request: EnrolmentRequest, guardian: Guardian | None,
                   now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Send the request: at least one service, every required document valid at the start of the
    school year (documents already held are reused and attached)."""
    now = now or timezone.now()
    enrolment_request = _locked(enrolment_request)
    _check_guardian(enrolment_request, guardian)
    _check_editable(enrolment_request, now)
    if not enrolment_request.requested_services.exists():
        raise EnrolmentRequestError("Choisissez au moins une prestation.")
    asked = documents_asked(enrolment_request=enrolment_request)
    missing = [entry["type"].name for entry in asked if entry["required"] and entry["document"] is None]
    if missing:
        raise EnrolmentRequestError("Documents manquants : " + ", ".join(missing) + ".")
    enrolment_request.documents.add(*[entry["document"] for entry in asked if entry["document"]])
    enrolment_request.status = Status.SUBMITTED
    enrolment_request.submitted_at = now
    enrolment_request.save(update_fields=["status", "submitted_at", "updated_at"])
    _notify(enrolment_request)
    return enrolment_request


def _decide(enrolment_request, status, reviewer, message, now):
    enrolment_request.status = status
    enrolment_request.staff_message = message.strip()
    enrolment_request.decided_by = reviewer
    enrolment_request.decided_at = now
    enrolment_request.save(update_fields=["status", "staff_message", "decided_by", "decided_at", "updated_at"])
    _notify(enrolment_request)
    return enrolment_request


ACCEPT, ASK_CHANGES, REFUSE = "accept", "ask_changes", "refuse"
DECISIONS = [(ACCEPT, "Accepter"), (ASK_CHANGES, "Demander des compléments"), (REFUSE, "Refuser")]


def decision_problem(enrolment_request: EnrolmentRequest, decision: str, *, message: str = "",
                     quotient_value: int | None = None) -> str | None:
    """Why staff's decision cannot be taken now (None when it can): the one check the review
    form and the services share."""
    status = enrolment_request.status
    if decision == ACCEPT:
        if status != Status.SUBMITTED:
            return "Seul un dossier envoyé peut être accepté."
        if quotient_value is None and quotient_documents(enrolment_request):
            return "Indiquez le quotient familial lu sur l'attestation avant d'accepter."
        if quotient_value is not None and quotient_value < 0:
            return "Le quotient familial est un montant positif."
    elif decision == ASK_CHANGES:
        if status != Status.SUBMITTED:
            return "Seul un dossier envoyé peut être renvoyé à la famille."
        if not message.strip():
            return "Indiquez à la famille ce qu'il faut compléter."
    elif decision == REFUSE:
        if status not in EnrolmentRequest.REVIEWABLE_STATUSES:
            return "Ce dossier n'est pas en attente de décision."
        if not message.strip():
            return "Indiquez le motif du refus : il est envoyé à la famille."
    else:
        return "Décision inconnue."
    return None


def _check_decision(enrolment_request, decision, **kwargs):
    problem = decision_problem(enrolment_request, decision, **kwargs)
    if problem:
        raise EnrolmentRequestError(problem)


@transaction.atomic
def request_ask_changes(*, enrolment_request: EnrolmentRequest, reviewer, message: str,
                        now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Send a submitted request back to the family (« à compléter ») with what is missing or wrong."""
    enrolment_request = _locked(enrolment_request)
    _check_decision(enrolment_request, ASK_CHANGES, message=message)
    return _decide(enrolment_request, Status.INCOMPLETE, reviewer, message, now or timezone.now())


@transaction.atomic
def request_refuse(*, enrolment_request: EnrolmentRequest, reviewer, message: str,
                   now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Refuse a request with its reason."""
    enrolment_request = _locked(enrolment_request)
    _check_decision(enrolment_request, REFUSE, message=message)
    return _decide(enrolment_request, Status.REFUSED, reviewer, message, now or timezone.now())


def quotient_documents(enrolment_request: EnrolmentRequest) -> list[HouseholdDocument]:
    """Attached documents awaiting review that carry a quotient familial (attestation CAF)."""
    return list(enrolment_request.documents.filter(
        document_type__carries_quotient=True, status=HouseholdDocument.Status.PENDING))


@transaction.atomic
def request_accept(*, enrolment_request: EnrolmentRequest, reviewer, message: str = "",
                   quotient_value: int | None = None, quotient_from: datetime.date | None = None,
                   now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Accept a submitted request: the child's enrolments for the school year (with the usual
    weekdays asked for), the health form
    copied to the child, the attached documents accepted, and the quotient familial read on an
    attestation recorded from the day it applies (school year start by default)."""
    now = now or timezone.now()
    enrolment_request = _locked(enrolment_request)
    _check_decision(enrolment_request, ACCEPT, quotient_value=quotient_value)
    qf_documents = quotient_documents(enrolment_request)
    school_year = enrolment_request.campaign.school_year
    child = enrolment_request.child
    for requested in enrolment_request.requested_services.select_related("service__activity"):
        # The usual days asked for become the enrolment's, which pre-fill the child's model week.
        days = sorted(set(requested.weekdays or ()) & set(requested.service.activity.weekdays))
        enrolment, created = Enrolment.objects.get_or_create(
            child=child, activity=requested.service.activity, school_year=school_year,
            defaults={"status": Enrolment.Status.ACCEPTED, "weekdays": days})
        if not created:
            Enrolment.objects.filter(pk=enrolment.pk).update(
                status=Enrolment.Status.ACCEPTED, **({"weekdays": days} if days else {}))
    child.allergies, child.diet, child.has_pai = enrolment_request.allergies, enrolment_request.diet, enrolment_request.has_pai
    child.save(update_fields=["allergies", "diet", "has_pai"])
    for document in enrolment_request.documents.filter(status=HouseholdDocument.Status.PENDING):
        document_review(document=document, accept=True, reviewer=reviewer, now=now)
    if quotient_value is not None:
        record_quotient(household=child.household, value=quotient_value,
                        valid_from=quotient_from or school_year.start_date,
                        source=qf_documents[0].document_type.name if qf_documents else QUOTIENT_SOURCE)
    return _decide(enrolment_request, Status.ACCEPTED, reviewer, message, now)


def record_quotient(*, household, value: int, valid_from: datetime.date, source: str) -> QuotientFamilial:
    """A household's quotient familial from a day on; earlier values stay as its history."""
    quotient, _ = QuotientFamilial.objects.update_or_create(
        household=household, valid_from=valid_from, defaults={"value": value, "source": source[:100]})
    return quotient


def requests_accept(*, requests, reviewer, now: datetime.datetime | None = None) -> tuple[list, list]:
    """Bulk acceptance: each submitted request that needs no quotient reading is accepted; the
    others are returned with the reason, for one-by-one review."""
    accepted, skipped = [], []
    for enrolment_request in requests:
        try:
            accepted.append(request_accept(enrolment_request=enrolment_request, reviewer=reviewer, now=now))
        except EnrolmentRequestError as error:
            skipped.append((enrolment_request, str(error)))
    return accepted, skipped


def request_decide(*, enrolment_request: EnrolmentRequest, decision: str, reviewer, message: str = "",
                   quotient_value: int | None = None, quotient_from: datetime.date | None = None,
                   now: datetime.datetime | None = None) -> EnrolmentRequest:
    """Staff's decision from the review page, handed to its service."""
    if decision == ACCEPT:
        return request_accept(enrolment_request=enrolment_request, reviewer=reviewer, message=message,
                              quotient_value=quotient_value, quotient_from=quotient_from, now=now)
    if decision == ASK_CHANGES:
        return request_ask_changes(enrolment_request=enrolment_request, reviewer=reviewer, message=message, now=now)
    if decision == REFUSE:
        return request_refuse(enrolment_request=enrolment_request, reviewer=reviewer, message=message, now=now)
    raise EnrolmentRequestError("Décision inconnue.")


def requests_missing_documents(*, requests) -> set[int]:
    """Ids of the given requests that still lack a required document (the review queue's filter)."""
    return {r.pk for r in requests if missing_documents(enrolment_request=r)}
