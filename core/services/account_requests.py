"""« Créer mon compte famille »: a public request that creates nothing until staff accept it. Spam
is held back by a rate limit per origin and overall, and by no email ever going to an address
that staff have not accepted."""

import datetime
import hashlib
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.models import Child, FamilyAccountRequest, Guardian, Household
from core.services.accounts import guardian_send_activation, normalize_email

logger = logging.getLogger(__name__)

RATE_WINDOW = datetime.timedelta(hours=1)
MAX_REQUESTS_PER_ORIGIN = 3
MAX_REQUESTS_PER_WINDOW = 30
MAX_CHILDREN = 6
TOO_MANY = "Trop de demandes ont été envoyées. Réessayez dans une heure ou contactez la mairie."


class AccountRequestError(ValueError):
    """A refused request or decision, with the French message to show."""


def client_key(address: str) -> str:
    """The origin of a request, kept only as a salted hash (enough to count, not to identify)."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address or ''}".encode()).hexdigest()


@transaction.atomic
def account_request_create(*, family_name: str, address: dict, guardians: list[dict], children: list[dict],
                           message: str = "", origin: str, now: datetime.datetime | None = None) -> FamilyAccountRequest:
    """Record a new family's request for staff to review, within the rate limits."""
    now = now or timezone.now()
    key = client_key(origin)
    recent = FamilyAccountRequest.objects.filter(created_at__gte=now - RATE_WINDOW)
    if recent.filter(client_key=key).count() >= MAX_REQUESTS_PER_ORIGIN or recent.count() >= MAX_REQUESTS_PER_WINDOW:
        raise AccountRequestError(TOO_MANY)
    guardians = [{**g, "email": normalize_email(g.get("email"))} for g in guardians if g.get("last_name")]
    if not guardians or not guardians[0]["email"]:
        raise AccountRequestError("Indiquez au moins un responsable avec son adresse email.")
    if not children:
        raise AccountRequestError("Indiquez au moins un enfant.")
    if len(children) > MAX_CHILDREN:
        raise AccountRequestError(f"{MAX_CHILDREN} enfants au plus par demande : précisez les autres dans le message.")
    return FamilyAccountRequest.objects.create(
        family_name=family_name.strip(), guardians=guardians, message=message.strip(), client_key=key, created_at=now,
        children=[{**c, "birth_date": c["birth_date"].isoformat() if hasattr(c["birth_date"], "isoformat") else c["birth_date"]}
                  for c in children],
        **{field: (address.get(field) or "").strip() for field in ("address_line1", "address_line2", "postal_code", "city")},
    )


def _reference(family_request):
    base = f"WEB{family_request.pk:05d}"
    reference, suffix = base, 1
    while Household.objects.filter(reference=reference).exists():
        suffix += 1
        reference = f"{base}-{suffix}"
    return reference


@transaction.atomic
def account_request_accept(*, family_request: FamilyAccountRequest, reviewer,
                           now: datetime.datetime | None = None) -> Household:
    """Create the household, its guardians and children from the request, then send each guardian
    the « Choisir un mot de passe » email: the first email the family receives."""
    family_request = FamilyAccountRequest.objects.select_for_update().get(pk=family_request.pk)
    if family_request.status != FamilyAccountRequest.Status.PENDING:
        raise AccountRequestError("Cette demande a déjà été traitée.")
    taken = [g["email"] for g in family_request.guardians if g.get("email") and Guardian.objects.filter(email=g["email"]).exists()]
    if taken:
        raise AccountRequestError(f"Adresse déjà connue : {', '.join(taken)}. Rattachez la famille à son foyer existant.")
    address = {f: getattr(family_request, f) for f in ("address_line1", "address_line2", "postal_code", "city")}
    household = Household.objects.create(reference=_reference(family_request), name=family_request.family_name.upper(),
                                         **address)
    guardians = []
    for index, data in enumerate(family_request.guardians):
        guardians.append(Guardian.objects.create(
            household=household, first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
            email=data.get("email") or None, phone_mobile=data.get("phone", ""), is_billing_contact=index == 0, **address))
    for data in family_request.children:
        Child.objects.create(household=household, first_name=data["first_name"], last_name=data["last_name"],
                             birth_date=datetime.date.fromisoformat(data["birth_date"]), grade=data["grade"])
    family_request.status = FamilyAccountRequest.Status.ACCEPTED
    family_request.household = household
    family_request.decided_by, family_request.decided_at = reviewer, now or timezone.now()
    family_request.save()
    for guardian in guardians:
        guardian_send_activation(guardian=guardian)
    return household


@transaction.atomic
def account_request_reject(*, family_request: FamilyAccountRequest, reviewer, note: str = "",
                           now: datetime.datetime | None = None) -> FamilyAccountRequest:
    """Refuse a request (spam, duplicate): nothing is created and nobody is emailed."""
    family_request = FamilyAccountRequest.objects.select_for_update().get(pk=family_request.pk)
    if family_request.status != FamilyAccountRequest.Status.PENDING:
        raise AccountRequestError("Cette demande a déjà été traitée.")
    family_request.status = FamilyAccountRequest.Status.REJECTED
    family_request.decision_note = note.strip()
    family_request.decided_by, family_request.decided_at = reviewer, now or timezone.now()
    family_request.save()
    return family_request



def account_requests_due_for_purge(*, now: datetime.datetime | None = None):
    """Requests refused, or still unanswered, more than ACCOUNT_REQUEST_RETENTION_DAYS days ago."""
    limit = (now or timezone.now()) - datetime.timedelta(days=settings.ACCOUNT_REQUEST_RETENTION_DAYS)
    status = FamilyAccountRequest.Status
    return FamilyAccountRequest.objects.filter(
        Q(status=status.REJECTED, decided_at__lt=limit)
        | Q(status=status.REJECTED, decided_at__isnull=True, created_at__lt=limit)
        | Q(status=status.PENDING, created_at__lt=limit)
    )


@transaction.atomic
def account_requests_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the requests refused, or left unanswered, more than ACCOUNT_REQUEST_RETENTION_DAYS
    days ago: people who never got an account leave no personal data behind. An accepted request
    became the household and goes with its anonymisation. Returns the count; a rerun deletes nothing."""
    due = account_requests_due_for_purge(now=now)
    counts = {value: due.filter(status=value).count() for value in (FamilyAccountRequest.Status.REJECTED,
                                                                     FamilyAccountRequest.Status.PENDING)}
    deleted, _ = due.delete()
    if deleted:
        logger.info("Demandes de compte famille supprimées : %d refusée(s), %d sans réponse.",
                    counts[FamilyAccountRequest.Status.REJECTED], counts[FamilyAccountRequest.Status.PENDING])
    return deleted
