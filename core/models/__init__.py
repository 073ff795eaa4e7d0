from core.models.accounts import User
from core.models.activities import WEEKDAYS, Activity, DeadlineRule, Enrolment, QuotientBracket, Tariff
from core.models.basket import Basket, BasketItem
from core.models.billing import CreditNote, CreditNoteLine, DocumentCounter, Invoice, InvoiceLine, InvoiceRun
from core.models.bookings import Attendance, Booking
from core.models.emails import EmailLog
from core.models.households import Child, Guardian, Household, QuotientFamilial
from core.models.news import News
from core.models.organisation import Closure, Regie, School, SchoolYear
from core.models.payments import Payment, PaymentAllocation, PaymentEvent
from core.models.reference import ReferenceVersion

__all__ = [
    "WEEKDAYS",
    "Activity",
    "Attendance",
    "Basket",
    "BasketItem",
    "Booking",
    "Child",
    "Closure",
    "CreditNote",
    "CreditNoteLine",
    "DocumentCounter",
    "DeadlineRule",
    "EmailLog",
    "Enrolment",
    "Guardian",
    "Household",
    "Invoice",
    "InvoiceLine",
    "InvoiceRun",
    "News",
    "Payment",
    "PaymentAllocation",
    "PaymentEvent",
    "QuotientBracket",
    "QuotientFamilial",
    "ReferenceVersion",
    "Regie",
    "School",
    "SchoolYear",
    "Tariff",
    "User",
]
