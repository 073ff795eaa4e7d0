import datetime

import pytest
from django.core.exceptions import ValidationError

from core.models import Attendance
from core.services import attendance as attendance_service
from core.services.attendance import attendance_record, attendance_sheet, attendance_unbooked_candidates
from tests import factories

DAY = datetime.date(2026, 12, 3)


@pytest.fixture
def booked(town, family, other_family):
    junior = family.children[0]
    factories.BookingFactory(child=junior, activity=town.repas_maternelle, date=DAY)
    return junior


def test_the_sheet_lists_the_booked_children_of_the_school(town, booked, other_family):
    lines = attendance_sheet(school=town.maternelle, activity=town.repas_maternelle, day=DAY)
    assert [line.child for line in lines] == [booked]
    assert lines[0].booked and lines[0].status is None
    assert list(attendance_unbooked_candidates(school=town.maternelle, activity=town.repas_maternelle, day=DAY)) == [
        other_family.children[0]
    ]


def test_recording_twice_corrects_the_same_row_and_keeps_who_recorded(town, booked, staff_agent):
    attendance_record(child=booked, activity=town.repas_maternelle, day=DAY, status="present", by=staff_agent)
    record = attendance_record(
        child=booked, activity=town.repas_maternelle, day=DAY, status="absent_justified", by=staff_agent
    )
    assert Attendance.objects.get() == record
    assert record.status == "absent_justified" and record.recorded_by == staff_agent


def test_a_child_without_booking_can_only_be_present_unbooked(town, booked, other_family, staff_agent):
    zoe = other_family.children[0]
    with pytest.raises(ValidationError):
        attendance_record(child=zoe, activity=town.repas_maternelle, day=DAY, status="present", by=staff_agent)
    attendance_record(child=zoe, activity=town.repas_maternelle, day=DAY, status="present_unbooked", by=staff_agent)
    lines = attendance_sheet(school=town.maternelle, activity=town.repas_maternelle, day=DAY)
    assert [(line.child, line.booked, line.status) for line in lines] == [
        (booked, True, None),
        (zoe, False, "present_unbooked"),
    ]


def test_a_locked_day_refuses_any_change(town, booked, staff_agent, monkeypatch):
    monkeypatch.setattr(attendance_service, "attendance_is_locked", lambda *, activity, day: True)
    with pytest.raises(ValidationError, match="facturé"):
        attendance_record(child=booked, activity=town.repas_maternelle, day=DAY, status="present", by=staff_agent)
    assert not Attendance.objects.exists()


def test_recorded_attendance_is_what_billing_reads(town, booked, staff_agent):
    # The invoice run bills from Attendance rows and Attendance.is_billable (a justified absence is
    # not billed): recording through the service must produce exactly those rows.
    attendance_record(child=booked, activity=town.repas_maternelle, day=DAY, status="absent_justified", by=staff_agent)
    row = Attendance.objects.get(child=booked, activity=town.repas_maternelle, date=DAY)
    assert row.is_billable is False
    attendance_record(child=booked, activity=town.repas_maternelle, day=DAY, status="absent_unjustified", by=staff_agent)
    row.refresh_from_db()
    assert row.is_billable is True
