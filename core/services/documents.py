"""A household's private files: the one way in (`document_upload`), staff's review, and what the
family already holds. Every rule about a document's file lives here, so that enrolment requests,
absence certificates and message attachments share it."""

import datetime
import logging
import os
import uuid

import filetype
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from core.constants import PARIS
from core.emails import queue_email
from core.models import DocumentType, Guardian, Household, HouseholdDocument, SchoolYear
from core.models.documents import add_months

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Detected from the content, never from the name or the type the browser claims.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
ALLOWED_LABEL = "PDF, JPEG ou PNG"
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class DocumentError(ValueError):
    """A file refused, with the French message to show the family."""


def _sniff(uploaded_file):
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    kind = filetype.guess(head) if head else None
    return kind.mime if kind else None


def _display_name(name):
    # The browser's name is shown to people only: keep its last path part, printable, short.
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or "document"


def document_check_file(uploaded_file) -> str:
    """A file is accepted when it is not empty, at most 10 Mo, and its content is a PDF, a JPEG
    or a PNG; returns the detected content type."""
    size = getattr(uploaded_file, "size", None) or 0
    if size == 0:
        raise DocumentError("Le fichier est vide.")
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(f"Le fichier dépasse la taille maximale de {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo.")
    mime = _sniff(uploaded_file)
    if mime not in ALLOWED_TYPES:
        raise DocumentError(f"Ce fichier n'est pas accepté : envoyez un document {ALLOWED_LABEL}.")
    return mime


def display_name(uploaded_file) -> str:
    """The name a file was sent with, for display only (never a path on the server)."""
    return _display_name(getattr(uploaded_file, "name", ""))


def private_file_save(*, uploaded_file, folder: str, content_type: str) -> str:
    """Store a checked file under `folder` with a random name (the sent name is never trusted)
    in the default storage (private: served only through views that check who asks)."""
    return default_storage.save(f"{folder}/{uuid.uuid4().hex}.{ALLOWED_TYPES[content_type]}", uploaded_file)


def private_files_delete_after_commit(names) -> None:
    """Erase stored files once the deletion of their rows is committed (a rollback keeps both)."""
    names = [name for name in names if name]

    def delete_files():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)


@transaction.atomic
def document_upload(
    *,
    household: Household,
    document_type: DocumentType,
    uploaded_file,
    uploaded_by: Guardian | None = None,
    valid_from: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> HouseholdDocument:
    """Store a family's file under a random name in the default storage, after checking its
    size and its real type; it awaits staff's review."""
    now = now or timezone.now()
    if uploaded_by is not None and uploaded_by.household_id != household.pk:
        raise DocumentError("Ce responsable n'appartient pas à ce foyer.")
    mime = document_check_file(uploaded_file)
    valid_from = valid_from or now.astimezone(PARIS).date()
    stored = private_file_save(uploaded_file=uploaded_file, folder=f"documents/{household.pk}", content_type=mime)
    try:
        document = HouseholdDocument.objects.create(
            household=household,
            document_type=document_type,
            original_name=_display_name(getattr(uploaded_file, "name", "")),
            content_type=mime,
            size=uploaded_file.size,
            valid_from=valid_from,
            valid_until=document_type.valid_until_for(valid_from),
            uploaded_by=uploaded_by,
            uploaded_at=now,
            file=stored,
        )
    except Exception:
        default_storage.delete(stored)
        raise
    return document


@transaction.atomic
def document_review(
    *, document: HouseholdDocument, accept: bool, reviewer=None, note: str = "",
    valid_from: datetime.date | None = None, valid_until: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> HouseholdDocument:
    """Staff accept a document (optionally correcting its validity dates) or refuse it with a reason."""
    if not accept and not note.strip():
        raise DocumentError("Indiquez le motif du refus : il est envoyé à la famille.")
    document.status = HouseholdDocument.Status.ACCEPTED if accept else HouseholdDocument.Status.REFUSED
    document.review_note = note.strip()
    if valid_from:
        document.valid_from = valid_from
        document.valid_until = valid_until or document.document_type.valid_until_for(valid_from)
    elif valid_until:
        document.valid_until = valid_until
    if document.valid_until and document.valid_until < document.valid_from:
        raise DocumentError("La fin de validité doit suivre son début.")
    document.reviewed_by = reviewer
    document.reviewed_at = now or timezone.now()
    document.save()
    return document


def documents_usable(*, household: Household, on: datetime.date, types=None) -> dict[int, HouseholdDocument]:
    """{document type id: the household's most recent document usable on `on`} — a document
    still valid is reused instead of being asked again."""
    queryset = HouseholdDocument.objects.for_household(household).usable_on(on).select_related("document_type")
    if types is not None:
        queryset = queryset.filter(document_type__in=types)
    usable = {}
    for document in queryset.order_by("status", "-valid_from", "-uploaded_at"):
        # "accepted" sorts before "pending": an accepted document wins over one awaiting review.
        usable.setdefault(document.document_type_id, document)
    return usable


def document_open(document: HouseholdDocument):
    """The stored file, opened for reading (whatever the storage: folder or S3 bucket)."""
    return document.file.open("rb")


def documents_delete_files(*, household: Household) -> int:
    """Erase every file of a household and its document rows (RGPD anonymisation); the files go
    once the rows' deletion is committed. Returns the count."""
    documents = list(HouseholdDocument.objects.for_household(household))
    names = [document.file.name for document in documents if document.file]
    HouseholdDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()
    private_files_delete_after_commit(names)
    return len(documents)


def documents_retention_limit(*, now: datetime.datetime | None = None) -> datetime.date:
    """Households that left the town before this day have their documents deleted
    (DOCUMENT_RETENTION_MONTHS months after the departure)."""
    today = (now or timezone.now()).astimezone(PARIS).date()
    return add_months(today, -settings.DOCUMENT_RETENTION_MONTHS)


def documents_purge_departed(*, now: datetime.datetime | None = None) -> int:
    """Delete the documents (files and rows) of every household that left the town more than
    DOCUMENT_RETENTION_MONTHS months ago, well before its anonymisation; one household per
    transaction, each logged. A rerun finds nothing left to delete. Returns the count."""
    limit = documents_retention_limit(now=now)
    departed = (Household.objects.filter(left_on__lt=limit, documents__isnull=False).distinct()
                .order_by("pk").only("pk", "reference", "left_on"))
    total = 0
    for household in departed:
        with transaction.atomic():
            count = documents_delete_files(household=household)
        logger.info("Documents du foyer %s (parti le %s) supprimés : %d.", household.reference,
                    household.left_on.isoformat(), count)
        total += count
    return total


def document_file_response(document, *, download: bool = False):
    """The one way a private file goes out (a household document or a message attachment, portal
    and admin alike): its detected content type, its display name in Content-Disposition, and no
    content sniffing by the browser. The caller has checked who asks."""
    from django.http import FileResponse

    response = FileResponse(
        document.file.open("rb"), as_attachment=download, filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Families are reminded of documents that end before the next school year once it is this close.
EXPIRY_REMINDER_WINDOW_DAYS = 120


def documents_remind_expiring(*, now: datetime.datetime | None = None) -> list:
    """Once the next school year starts within EXPIRY_REMINDER_WINDOW_DAYS, each household still
    in town is emailed once about its accepted documents that end before the first day and have
    no replacement yet; each document is claimed before the email, so a rerun sends nothing twice."""
    now = now or timezone.now()
    today = now.astimezone(PARIS).date()
    school_year = SchoolYear.objects.filter(start_date__gt=today).order_by("start_date").first()
    if school_year is None or (school_year.start_date - today).days > EXPIRY_REMINDER_WINDOW_DAYS:
        return []
    expiring = (
        HouseholdDocument.objects.filter(
            status=HouseholdDocument.Status.ACCEPTED, valid_until__gte=today, valid_until__lt=school_year.start_date,
            expiry_reminded_at__isnull=True, household__left_on__isnull=True, household__anonymised_at__isnull=True,
        ).select_related("household", "document_type").order_by("household_id", "document_type__position")
    )
    by_household: dict[int, list[HouseholdDocument]] = {}
    for document in expiring:
        by_household.setdefault(document.household_id, []).append(document)
    logs = []
    for documents in by_household.values():
        household = documents[0].household
        replaced = documents_usable(household=household, on=school_year.start_date)
        due = [d for d in documents if d.document_type_id not in replaced]
        logs += _remind_household(household, due, school_year, now)
    return logs


@transaction.atomic
def _remind_household(household, documents, school_year, now):
    ids = [d.pk for d in documents]
    if not ids or HouseholdDocument.objects.filter(pk__in=ids, expiry_reminded_at__isnull=True).update(
            expiry_reminded_at=now) != len(ids):
        return []
    recipients = [g.email for g in household.guardians.all() if g.email]
    return queue_email(kind="documents_expiring", recipients=recipients, household=household,
                       context={"household": household, "documents": documents, "school_year": school_year})
