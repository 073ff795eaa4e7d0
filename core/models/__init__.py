from core.models.accounts import User
from core.models.activities import WEEKDAYS, Activity, DeadlineRule, Enrolment, QuotientBracket, Tariff
from core.models.basket import Basket, BasketItem
from core.models.billing import CreditNote, CreditNoteLine, DocumentCounter, Invoice, InvoiceLine, InvoiceRun
from core.models.bookings import Attendance, Booking
from core.models.calendar_feeds import CalendarFeed
from core.models.caterer_orders import CatererOrder
from core.models.emails import EmailLog
from core.models.households import Child, Guardian, Household, QuotientFamilial
from core.models.messages import Conversation, Message
from core.models.news import News
from core.models.notices import Notice, NoticeRecipient
from core.models.organisation import Closure, Regie, School, SchoolYear
from core.models.payments import Payment, PaymentAllocation, PaymentEvent
from core.models.public_pages import PublicPage

__all__ = [
    "WEEKDAYS",
    "Activity",
    "Attendance",
    "Basket",
    "BasketItem",
    "Booking",
    "CalendarFeed",
    "CatererOrder",
    "Child",
    "Closure",
    "Conversation",
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
    "Message",
    "News",
    "Notice",
    "NoticeRecipient",
    "Payment",
    "PaymentAllocation",
    "PaymentEvent",
    "PublicPage",
    "QuotientBracket",
    "QuotientFamilial",
    "Regie",
    "School",
    "SchoolYear",
    "Tariff",
    "User",
]
