"""Bookings (réservations) and attendance (pointage)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models.activities import Activity, Enrolment
from core.models.households import Child


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Booking.Status.BOOKED)

    def between(self, start, end):
        return self.filter(date__gte=start, date__lte=end)


class Booking(models.Model):
    """One child, one activity, one day. A cancelled booking keeps its row (who cancelled, when)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Réservé"
        CANCELLED = "cancelled", "Annulé"

    class Source(models.TextChoices):
        PORTAL = "portal", "Portail famille"
        STAFF = "staff", "Agent de la mairie"
        IMPORT = "import", "Import"
        WAITING_LIST = "waitlist", "Liste d'attente"

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.PROTECT, related_name="bookings")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="bookings")
    date = models.DateField("jour")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField("origine", max_length=10, choices=Source.choices, default=Source.PORTAL)
    is_override = models.BooleanField(
        "hors délai (agent)", default=False, help_text="Réservation ou annulation faite par un agent après le délai."
    )
    booked_at = models.DateTimeField("réservé le")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="réservé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="annulé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = BookingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "réservation"
        verbose_name_plural = "réservations"
        ordering = ["-date", "child"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "date"], name="booking_unique_per_day"),
            models.CheckConstraint(condition=Q(status__in=["booked", "cancelled"]), name="booking_status_valid"),
            models.CheckConstraint(
                condition=Q(status="booked") | Q(cancelled_at__isnull=False), name="cancelled_booking_has_date"
            ),
        ]
        indexes = [
            # Headcounts and the dashboard read (date, activity, status, child) from the index alone
            # on PostgreSQL: a week's bookings are spread over the whole table.
            models.Index(fields=["date", "activity", "status"], include=["child"], name="booking_day_activity"),
            models.Index(fields=["activity", "date"], name="booking_activity_date"),
            # The staff list, latest day first: the first page is read straight from the index.
            models.Index(fields=["date", "id"], name="booking_date_id"),
            # The dashboard's "last 24 hours" figures read the latest changes only.
            models.Index(fields=["booked_at"], name="booking_booked_at"),
            models.Index(fields=["cancelled_at"], name="booking_cancelled_at", condition=Q(cancelled_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.child} — {self.activity} — {self.date:%d/%m/%Y}"

    @property
    def is_active(self):
        return self.status == self.Status.BOOKED


class Attendance(models.Model):
    """What really happened on a service day, recorded by staff (pointage)."""

    class Status(models.TextChoices):
        PRESENT = "present", "Présent"
        ABSENT_JUSTIFIED = "absent_justified", "Absent justifié"
        ABSENT_UNJUSTIFIED = "absent_unjustified", "Absent non justifié"
        PRESENT_UNBOOKED = "present_unbooked", "Présent sans réservation"

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.PROTECT, related_name="attendances")
    activity = models.ForeignKey(
        Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="attendances"
    )
    date = models.DateField("jour")
    status = models.CharField("pointage", max_length=20, choices=Status.choices)
    recorded_at = models.DateTimeField("pointé le", auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="pointé par",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "pointage"
        verbose_name_plural = "pointages"
        ordering = ["-date", "child"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "date"], name="attendance_unique_per_day"),
            models.CheckConstraint(
                condition=Q(status__in=["present", "absent_justified", "absent_unjustified", "present_unbooked"]),
                name="attendance_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["date", "id"], name="attendance_date_id")]

    def __str__(self):
        return f"{self.child} — {self.activity} — {self.date:%d/%m/%Y} : {self.get_status_display()}"

    @property
    def is_billable(self):
        return self.status != self.Status.ABSENT_JUSTIFIED

    def clean(self):
        if not (self.child_id and self.activity_id and self.date):
            return
        booked = Booking.objects.active().filter(child_id=self.child_id, activity_id=self.activity_id, date=self.date)
        if self.status == self.Status.PRESENT_UNBOOKED and booked.exists():
            raise ValidationError("L'enfant avait une réservation ce jour-là : le pointer « Présent ».")
        if self.status != self.Status.PRESENT_UNBOOKED and not booked.exists():
            raise ValidationError(
                "Sans réservation ce jour-là, seul « Présent sans réservation » peut être pointé."
            )
        is_enrolled = Enrolment.objects.accepted().filter(
            child_id=self.child_id,
            activity_id=self.activity_id,
            school_year__start_date__lte=self.date,
            school_year__end_date__gte=self.date,
        )
        if not is_enrolled.exists():
            raise ValidationError("L'enfant n'est pas inscrit à cette prestation pour cette année scolaire.")
