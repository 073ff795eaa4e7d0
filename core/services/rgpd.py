"""Personal data (RGPD): what the town holds on a household, and the anonymisation of households
gone for years. Issued invoices and credit notes are accounting records: they keep their payer
snapshot and their lines untouched."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone

from core.models import (
    Attendance,
    Booking,
    Child,
    Conversation,
    EmailLog,
    EnrolmentRequest,
    FamilyAccountRequest,
    Guardian,
    Household,
    Invoice,
)
from core.services.documents import documents_delete_files
from core.services.messages import conversations_delete

ANONYMOUS = "Anonymisé"


def retention_periods() -> dict[str, str]:
    """The retention periods the settings fix, in French words, so that the privacy page and the
    staff's screens never state another: households anonymised after RGPD_RETENTION_YEARS, their
    documents deleted after DOCUMENT_RETENTION_MONTHS, refused or unanswered account requests
    deleted after ACCOUNT_REQUEST_RETENTION_DAYS."""
    years, days = settings.RGPD_RETENTION_YEARS, settings.ACCOUNT_REQUEST_RETENTION_DAYS
    return {
        "households": f"{years} an{'s' if years > 1 else ''}",
        "documents": f"{settings.DOCUMENT_RETENTION_MONTHS} mois",
        "account_requests": f"{days} jour{'s' if days > 1 else ''}",
    }


def _row(obj, exclude=()):
    data = model_to_dict(obj, exclude=exclude)
    data["id"] = obj.pk
    return data


def household_export(*, household: Household) -> dict:
    """Everything the town holds on one household, as a JSON-serialisable dict."""
    guardians = list(household.guardians.select_related("user"))
    children = list(household.children.select_related("school"))
    bookings = Booking.objects.filter(child__household=household).select_related("activity").order_by("date")
    attendances = Attendance.objects.filter(child__household=household).select_related("activity").order_by("date")
    invoices = Invoice.objects.filter(household=household).prefetch_related("lines", "credit_notes").order_by("period_start")
    return {
        "exporte_le": timezone.now().isoformat(),
        "foyer": _row(household),
        "quotients_familiaux": [_row(q) for q in household.quotients.all()],
        "responsables": [
            {
                **_row(g, exclude=["user"]),
                "compte": (
                    {"email": g.user.email, "cree_le": g.user.date_joined, "derniere_connexion": g.user.last_login}
                    if g.user
                    else None
                ),
            }
            for g in guardians
        ],
        "enfants": [
            {
                **_row(c),
                "ecole": c.school.name if c.school else None,
                "inscriptions": [
                    {"prestation": e.activity.name, "annee": e.school_year.label, "statut": e.get_status_display()}
                    for e in c.enrolments.select_related("activity", "school_year")
                ],
            }
            for c in children
        ],
        "reservations": [
            {"enfant": b.child_id, "prestation": b.activity.name, "jour": b.date, "etat": b.get_status_display(),
             "origine": b.get_source_display(), "reserve_le": b.booked_at, "annule_le": b.cancelled_at}
            for b in bookings
        ],
        "pointages": [
            {"enfant": a.child_id, "prestation": a.activity.name, "jour": a.date, "pointage": a.get_status_display()}
            for a in attendances
        ],
        "factures": [
            {
                "numero": i.number, "periode": [i.period_start, i.period_end], "emise_le": i.issue_date,
                "echeance": i.due_date, "total": i.total, "etat": i.get_status_display(), "redevable": i.payer_name,
                "lignes": [{"libelle": line.label, "quantite": line.quantity, "montant": line.amount} for line in i.lines.all()],
                "avoirs": [{"numero": c.number, "montant": c.amount, "motif": c.reason} for c in i.credit_notes.all()],
            }
            for i in invoices
        ],
        "dossiers_inscription": [
            {"enfant": r.child_id, "campagne": r.campaign.name, "etat": r.get_status_display(),
             "prestations": [rs.service.activity.name for rs in r.requested_services.all()],
             **{field: getattr(r, field) for field in (
                 "allergies", "diet", "has_pai", "pai_details", "doctor_name", "doctor_phone", "emergency_contacts",
                 "authorised_people", "photo_consent", "may_leave_alone", "staff_message")},
             "envoye_le": r.submitted_at, "decide_le": r.decided_at}
            for r in EnrolmentRequest.objects.filter(child__household=household).select_related("campaign")
            .prefetch_related("requested_services__service__activity").order_by("created_at")
        ],
        "documents": [
            {"type": d.document_type.name, "fichier": d.original_name, "format": d.content_type, "taille": d.size,
             "valable_du": d.valid_from, "valable_au": d.valid_until, "etat": d.get_status_display(),
             "motif": d.review_note, "envoye_le": d.uploaded_at}
            for d in household.documents.select_related("document_type").order_by("uploaded_at")
        ],
        "messages": [
            {"objet": c.title, "sujet": c.get_subject_display(), "etat": c.get_status_display(), "commencee_le": c.created_at,
             "messages": [
                 {"de": "la mairie" if m.from_staff else "la famille", "le": m.created_at, "texte": m.body,
                  "pieces_jointes": [{"fichier": a.original_name, "format": a.content_type, "taille": a.size}
                                     for a in m.attachments.all()]}
                 for m in c.messages.all()
             ]}
            for c in Conversation.objects.filter(household=household).prefetch_related("messages__attachments")
            .order_by("created_at")
        ],
        "emails": [
            {"destinataire": e.recipient, "objet": e.subject, "type": e.kind, "etat": e.get_status_display(), "le": e.created_at}
            for e in household.emails.order_by("created_at")
        ],
    }


def households_due_for_anonymisation(*, older_than_years: int, now: datetime.datetime | None = None) -> QuerySet[Household]:
    limit = timezone.localdate(now or timezone.now()) - relativedelta(years=older_than_years)
    return Household.objects.filter(left_on__isnull=False, left_on__lt=limit, anonymised_at__isnull=True)


@transaction.atomic
def household_anonymise(*, household: Household, now: datetime.datetime | None = None) -> Household:
    """Erase a household's personal data (names, addresses, contacts, logins, notes, diets,
    emails, documents, messages and their files, the account request it came from and change history); bookings, attendance and issued invoices stay for accounting."""
    now = now or timezone.now()
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.anonymised_at:
        return household
    blank_address = {"address_line1": "", "address_line2": "", "postal_code": "", "city": ""}
    for guardian in household.guardians.select_related("user"):
        user = guardian.user
        Guardian.objects.filter(pk=guardian.pk).update(
            civility="", first_name=ANONYMOUS, last_name=ANONYMOUS, email=None, email_verified_at=None,
            phone_mobile="", phone_home="", phone_work="", user=None, **blank_address,
        )
        if user:
            user.delete()
    for child in household.children.all():
        Child.objects.filter(pk=child.pk).update(
            first_name=ANONYMOUS, last_name=ANONYMOUS, birth_date=child.birth_date.replace(month=1, day=1),
            diet="", allergies="", has_pai=False,
        )
    Household.objects.filter(pk=household.pk).update(name=ANONYMOUS, notes="", anonymised_at=now, **blank_address)
    EmailLog.objects.filter(household=household).delete()
    # The « Créer mon compte famille » request the household came from repeats its names and emails.
    FamilyAccountRequest.objects.filter(household=household).delete()
    documents_delete_files(household=household)
    conversations_delete(household=household)
    EnrolmentRequest.objects.filter(child__household=household).update(
        allergies="", diet="", has_pai=False, pai_details="", doctor_name="", doctor_phone="", emergency_contacts=[],
        authorised_people=[], staff_message="",
    )
    _erase_history(household)
    household.refresh_from_db()
    return household


def _erase_history(household):
    """The change history keeps every former value: drop it for this household's records."""
    Household.history.filter(id=household.pk).delete()
    Guardian.history.filter(household_id=household.pk).delete()
    Child.history.filter(household_id=household.pk).delete()


def households_anonymise(*, older_than_years: int, now: datetime.datetime | None = None) -> list[Household]:
    """Anonymise every household that left the town more than `older_than_years` years ago."""
    due = households_due_for_anonymisation(older_than_years=older_than_years, now=now)
    return [household_anonymise(household=household, now=now) for household in due]
