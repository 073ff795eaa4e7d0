"""Targeted notices: who receives one, what staff see before sending, the sending itself (the
closure it may create, the emails in batches) and the banners of a household's home page."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import tasks
from core.emails import queue_email
from core.models import Booking, Child, Closure, Enrolment, Guardian, Household, Notice, NoticeRecipient
from core.services import french_dates

EMAIL_BATCH_SIZE = 50  # households per django-q2 task


class NoticeError(Exception):
    """A notice that cannot be sent (French message for staff)."""


NO_CRITERION = "Choisissez une école, une prestation, des jours réservés ou des foyers : un avis ne part jamais à toute la commune par mégarde."
ALREADY_SENT = "Cet avis est déjà envoyé."
NO_RECIPIENT = "Aucune famille ne correspond à ces critères : rien n'a été envoyé."


def notice_recipients(notice: Notice):
    """The households `notice` is for: those picked by hand; else those with a child matching the
    school and the service (accepted enrolment) and, when `only_booked`, a booking on one of its days.
    Anonymised households never receive anything."""
    households = Household.objects.filter(anonymised_at__isnull=True)
    if notice.pk and notice.households.exists():
        return households.filter(pk__in=notice.households.values("pk"))
    by_booking = notice.only_booked and notice.days
    if not (notice.school_id or notice.activity_id or by_booking):
        raise NoticeError(NO_CRITERION)
    children = Child.objects.all()
    if notice.school_id:
        children = children.filter(school_id=notice.school_id)
    if notice.activity_id:
        enrolled = Enrolment.objects.accepted().filter(activity_id=notice.activity_id).values("child_id")
        children = children.filter(pk__in=enrolled)
    if by_booking:
        first, last = notice.days
        bookings = Booking.objects.active().between(first, last).filter(child__in=children)
        if notice.activity_id:
            bookings = bookings.filter(activity_id=notice.activity_id)
        children = Child.objects.filter(pk__in=bookings.values("child_id"))
    return households.filter(pk__in=children.values("household_id"))


def _email_addresses(household_ids):
    """{household id: [addresses]}: every guardian of the household who has an email."""
    addresses = {}
    rows = Guardian.objects.filter(household_id__in=household_ids, email__isnull=False).exclude(email="")
    for household_id, email in rows.order_by("pk").values_list("household_id", "email"):
        addresses.setdefault(household_id, []).append(email)
    return addresses


@dataclass
class NoticePreview:
    households: int
    emails: int  # addresses that will receive it (0 when the notice is not sent by email)
    households_without_email: int
    closure: str | None  # what sending closes, in French, or None


def notice_preview(*, notice: Notice) -> NoticePreview:
    """What sending would do: the recipient count, the emails, the closure. Raises NoticeError
    when the notice names no criterion."""
    ids = list(notice_recipients(notice).values_list("pk", flat=True))
    addresses = _email_addresses(ids)
    closure = None
    if notice.close_days and notice.days:
        first, last = notice.days
        where = ", ".join(filter(None, [str(notice.school or ""), str(notice.activity or "")])) or "toutes les écoles et prestations"
        span = first.strftime("%d/%m/%Y") if first == last else f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
        closure = f"Fermeture {span} : {where}. Les réservations de ces jours ne seront ni servies ni facturées."
    return NoticePreview(
        households=len(ids),
        emails=sum(len(a) for a in addresses.values()) if notice.by_email else 0,
        households_without_email=len(ids) - len(addresses),
        closure=closure,
    )


@transaction.atomic
def notice_send(*, notice_id: int, by=None, now: datetime.datetime | None = None) -> Notice:
    """Send a notice once: record its recipients (they see the banner), create its closure if
    asked, and enqueue its emails in batches. A second call, or a notice matching nobody, is refused."""
    now = now or timezone.now()
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    if notice.sent_at is not None:
        raise NoticeError(ALREADY_SENT)
    household_ids = list(notice_recipients(notice).values_list("pk", flat=True))
    if not household_ids:
        raise NoticeError(NO_RECIPIENT)
    claimed = Notice.objects.filter(pk=notice_id, sent_at__isnull=True).update(sent_at=now, sent_by=by)
    if not claimed:
        raise NoticeError(ALREADY_SENT)
    NoticeRecipient.objects.bulk_create([NoticeRecipient(notice=notice, household_id=pk) for pk in household_ids])
    if notice.close_days and notice.days:
        first, last = notice.days
        notice.closure = Closure.objects.create(
            name=notice.title[:150], kind=notice.closure_kind, start_date=first, end_date=last,
            school_id=notice.school_id, activity_id=notice.activity_id,
        )
        notice.save(update_fields=["closure"])
    if notice.by_email:
        for start in range(0, len(household_ids), EMAIL_BATCH_SIZE):
            batch = household_ids[start : start + EMAIL_BATCH_SIZE]
            tasks.enqueue(tasks.send_notice_emails, notice.pk, batch, group="notices", task_name=f"notice-{notice.pk}-{start}")
    notice.refresh_from_db()
    return notice


@transaction.atomic
def notice_closure_note(notice: Notice) -> str | None:
    """What a family reads about the days a sent notice closed: not served, not billed."""
    if not notice.closure_id or not notice.days:
        return None
    first, last = notice.days
    if first == last:
        return f"Les réservations du {french_dates.full_label(first)} sont annulées : elles ne vous seront pas facturées."
    return (f"Les réservations du {french_dates.full_label(first)} au {french_dates.full_label(last)} sont annulées : "
            "elles ne vous seront pas facturées.")


def notice_email_batch(*, notice_id: int, household_ids: list[int], now: datetime.datetime | None = None) -> int:
    """Queue the notice's email to each household of the batch not yet emailed (each claimed by
    a conditional UPDATE, so a batch run twice sends nothing twice); returns the emails queued."""
    now = now or timezone.now()
    notice = Notice.objects.get(pk=notice_id)
    addresses = _email_addresses(household_ids)
    households = Household.objects.in_bulk(household_ids)
    queued = 0
    for household_id in household_ids:
        claimed = NoticeRecipient.objects.filter(
            notice_id=notice_id, household_id=household_id, emailed_at__isnull=True
        ).update(emailed_at=now)
        if not claimed or not addresses.get(household_id):
            continue
        logs = queue_email(
            kind="notice", recipients=addresses[household_id],
            context={"notice": notice, "closure_note": notice_closure_note(notice)},
            household=households[household_id],
        )
        queued += len(logs)
    return queued


def notices_for_home(*, household: Household, today: datetime.date):
    """The banners shown on `household`'s home page `today`."""
    return Notice.objects.on_home_of(household, today=today)
