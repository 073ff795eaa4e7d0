"""Waiting lists (listes d'attente): the queue of children for a full day of an activity."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models.activities import Activity
from core.models.bookings import Booking
from core.models.households import Child


class WaitingListEntryQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=WaitingListEntry.Status.WAITING)

    def in_order(self):
        return self.order_by("position", "joined_at", "pk")


class WaitingListEntry(models.Model):
    """One child waiting for a place on a full day. The smallest `position` is served first; staff
    may reorder. The row stays after it is served, left or closed, for the history."""

    class Status(models.TextChoices):
        WAITING = "waiting", "En attente"
        PROMOTED = "promoted", "Place obtenue"
        LEFT = "left", "Retiré de la liste"
        CLOSED = "closed", "Liste close (délai passé)"

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="waiting_list_entries")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.PROTECT, related_name="waiting_list_entries")
    date = models.DateField("jour")
    position = models.PositiveIntegerField("rang", help_text="Le plus petit rang obtient la première place libérée.")
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.WAITING)
    joined_at = models.DateTimeField("inscrit le")
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="inscrit par", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField("sorti de la liste le", null=True, blank=True)
    booking = models.ForeignKey(
        Booking, verbose_name="réservation obtenue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = WaitingListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "place en liste d'attente"
        verbose_name_plural = "listes d'attente"
        ordering = ["date", "activity", "position", "joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "date"], condition=Q(status="waiting"), name="waitinglist_one_wait_per_day"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "promoted", "left", "closed"]), name="waitinglist_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["activity", "date", "status", "position"], name="waitinglist_queue")]

    def __str__(self):
        return f"{self.child} — {self.activity} — {self.date:%d/%m/%Y} (rang {self.position})"
