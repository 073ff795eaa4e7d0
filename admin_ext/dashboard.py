"""The admin's first page: today's figures at a glance."""

import datetime

from django.utils import timezone

from core.models import Booking, Household


def dashboard_callback(request, context):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    bookings = Booking.objects.active()
    context.update(
        {
            "kpis": [
                {"title": "Réservations aujourd'hui", "value": bookings.filter(date=today).count()},
                {"title": "Réservations demain", "value": bookings.filter(date=tomorrow).count()},
                {"title": "Foyers", "value": Household.objects.active().count()},
            ]
        }
    )
    return context
