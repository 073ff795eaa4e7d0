"""Targeted notices: who they reach, the preview, one sending (banner, emails in batches, each
logged once), and the closure that stops the day being served and billed."""

import datetime

import pytest
from django.core import mail

from core.models import EmailLog, Notice, NoticeRecipient
from core.services import notices
from core.services.billing import household_month_lines
from core.services.headcounts import headcounts_compute
from tests import factories

THURSDAY = datetime.date(2026, 12, 3)
NOW = datetime.datetime(2026, 12, 1, 16, 0, tzinfo=datetime.UTC)


@pytest.fixture
def strike(town):
    """« Grève jeudi » for the families of the élémentaire school, by email and on the home page."""
    return Notice.objects.create(
        title="Grève jeudi : pas de cantine à l'école Jules-Ferry", body="Le service ne sera pas assuré.",
        school=town.elementaire, first_day=THURSDAY, by_email=True, on_home=True,
        shown_until=THURSDAY, close_days=True,
    )


def send(notice, capture, **kwargs):
    with capture(execute=True):
        return notices.notice_send(notice_id=notice.pk, now=NOW, **kwargs)


def test_a_school_notice_reaches_the_families_of_that_school_only(town, family, other_family, strike):
    # family: Lise at Jules-Ferry; other_family: Zoé at the maternelle only.
    assert list(notices.notice_recipients(strike)) == [family.household]


def test_a_day_notice_reaches_the_families_with_a_booking_that_day(town, family, other_family):
    zoe = other_family.children[0]
    factories.BookingFactory(child=zoe, activity=town.repas_maternelle, date=THURSDAY)
    notice = Notice(title="x", body="y", first_day=THURSDAY, only_booked=True)
    assert list(notices.notice_recipients(notice)) == [other_family.household]
    notice.activity = town.repas_primaire
    assert list(notices.notice_recipients(notice)) == []


def test_an_activity_notice_reaches_the_enrolled_families(town, family, other_family):
    notice = Notice(title="x", body="y", activity=town.garderie_soir)
    assert list(notices.notice_recipients(notice)) == [family.household]


def test_picked_households_alone_receive_the_notice(town, family, other_family, separated_couple):
    notice = Notice.objects.create(title="x", body="y", school=town.elementaire, on_home=True, shown_until=THURSDAY)
    notice.households.set([other_family.household, separated_couple.household])
    assert set(notices.notice_recipients(notice)) == {other_family.household, separated_couple.household}


def test_a_notice_without_criterion_is_refused(town, family):
    for notice in (Notice(title="x", body="y"), Notice(title="x", body="y", first_day=THURSDAY)):
        with pytest.raises(notices.NoticeError, match="toute la commune"):
            notices.notice_recipients(notice)


def test_preview_counts_households_addresses_and_the_closure(town, family, separated_couple, strike):
    separated_couple.children[0].school = town.elementaire
    separated_couple.children[0].save()
    preview = notices.notice_preview(notice=strike)
    assert (preview.households, preview.emails, preview.households_without_email) == (2, 3, 0)
    assert preview.closure.startswith("Fermeture 03/12/2026 : École élémentaire Jules-Ferry.")


def test_sending_emails_each_guardian_once_and_shows_the_banner_to_recipients_only(
    town, family, separated_couple, other_family, strike, django_capture_on_commit_callbacks
):
    separated_couple.children[0].school = town.elementaire
    separated_couple.children[0].save()
    notice = send(strike, django_capture_on_commit_callbacks)
    assert notice.sent_at == NOW
    assert sorted(m.to[0] for m in mail.outbox) == ["parent2a@example.org", "parent2b@example.org", "parent@example.org"]
    assert mail.outbox[0].subject == "Grève jeudi : pas de cantine à l'école Jules-Ferry"
    logs = EmailLog.objects.filter(kind="notice")
    assert logs.count() == 3 and set(logs.values_list("status", flat=True)) == {EmailLog.Status.SENT}
    assert {log.household_id for log in logs} == {family.household.pk, separated_couple.household.pk}
    assert list(notices.notices_for_home(household=family.household, today=THURSDAY)) == [notice]
    assert not notices.notices_for_home(household=family.household, today=THURSDAY + datetime.timedelta(days=1))
    assert not notices.notices_for_home(household=other_family.household, today=THURSDAY)


def test_a_notice_is_sent_once_and_a_batch_run_twice_emails_nobody_twice(
    town, family, strike, django_capture_on_commit_callbacks
):
    send(strike, django_capture_on_commit_callbacks)
    with pytest.raises(notices.NoticeError, match="déjà envoyé"):
        send(strike, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.notice_email_batch(notice_id=strike.pk, household_ids=[family.household.pk]) == 0
    assert len(mail.outbox) == 1
    assert NoticeRecipient.objects.filter(notice=strike).count() == 1


def test_emails_go_out_in_batches(town, strike, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(notices, "EMAIL_BATCH_SIZE", 2)
    for n in range(5):
        household = factories.HouseholdFactory()
        factories.GuardianFactory(household=household)
        factories.ChildFactory(household=household, school=town.elementaire)
    calls = []
    original = notices.notice_email_batch
    monkeypatch.setattr(notices, "notice_email_batch", lambda **kw: calls.append(kw["household_ids"]) or original(**kw))
    send(strike, django_capture_on_commit_callbacks)
    assert [len(batch) for batch in calls] == [2, 2, 1]
    assert len(mail.outbox) == 5


def test_a_notice_matching_nobody_sends_nothing(town, strike, django_capture_on_commit_callbacks):
    with pytest.raises(notices.NoticeError, match="Aucune famille"):
        send(strike, django_capture_on_commit_callbacks)
    strike.refresh_from_db()
    assert strike.sent_at is None and strike.closure is None


def test_closing_the_day_stops_its_bookings_being_served_and_billed(
    town, family, strike, django_capture_on_commit_callbacks
):
    junior, lise = family.children
    bracket = factories.QuotientBracketFactory(label="A", min_value=0, max_value=None)
    for activity in (town.repas_primaire, town.repas_maternelle):
        factories.TariffFactory(activity=activity, bracket=bracket, unit_price="3.70")
    factories.QuotientFamilialFactory(household=family.household, value=500)
    for child, activity in ((lise, town.repas_primaire), (junior, town.repas_maternelle)):
        factories.BookingFactory(child=child, activity=activity, date=THURSDAY)
    december = datetime.date(2026, 12, 1)

    def billed():
        lines = household_month_lines(regie=town.regie, month=december, household=family.household)
        return sorted((line.child.first_name, tuple(line.dates)) for line in lines)

    assert billed() == [("Junior", (THURSDAY,)), ("Lise", (THURSDAY,))]
    assert headcounts_compute(start=THURSDAY, end=THURSDAY).total == 2
    notice = send(strike, django_capture_on_commit_callbacks)
    closure = notice.closure
    assert (closure.start_date, closure.end_date, closure.school, closure.activity, closure.kind) == (
        THURSDAY, THURSDAY, town.elementaire, None, "greve"
    )
    assert billed() == [("Junior", (THURSDAY,))]  # the maternelle still runs
    sheet = headcounts_compute(start=THURSDAY, end=THURSDAY)
    assert sheet.total == 1 and [row.school for row in sheet.rows] == [town.maternelle]


def test_the_email_of_a_notice_that_closes_days_tells_families_they_are_not_billed(
        town, family, strike, django_capture_on_commit_callbacks):
    send(strike, django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    note = "Les réservations du jeudi 3 décembre 2026 sont annulées : elles ne vous seront pas facturées."
    assert note in email.body and note in email.alternatives[0][0]
    strike.refresh_from_db()
    assert notices.notice_closure_note(strike) == note
    strike.closure = None  # a notice that closed nothing says nothing about billing
    assert notices.notice_closure_note(strike) is None
