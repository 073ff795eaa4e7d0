from core.models.account_requests import FamilyAccountRequest
from core.models.absences import AbsenceDay, AbsenceDeclaration, AbsenceReason
from core.models.accounts import User
from core.models.activities import WEEKDAYS, AbsenceCertificateRule, Activity, DeadlineRule, Enrolment, QuotientBracket, Tariff
from core.models.basket import Basket, BasketItem
from core.models.billing import CreditNote, CreditNoteLine, DocumentCounter, Invoice, InvoiceLine, InvoiceRun
from core.models.bookings import Attendance, Booking
from core.models.documents import DocumentType, HouseholdDocument
from core.models.direct_debit import DebitBatch, DirectDebit, Mandate
from core.models.calendar_feeds import CalendarFeed
from core.models.caterer_orders import CatererOrder
from core.models.emails import EmailLog
from core.models.enrolment_requests import CampaignService, EnrolmentCampaign, EnrolmentRequest, RequestedService
from core.models.leisure import RegistrationWindow
from core.models.households import Child, Guardian, Household, QuotientFamilial
from core.models.model_weeks import ModelWeekDay
from core.models.messages import Conversation, Message, MessageAttachment
from core.models.news import News
from core.models.notices import Notice, NoticeRecipient
from core.models.organisation import Closure, Regie, School, SchoolYear
from core.models.payments import Payment, PaymentAllocation, PaymentEvent
from core.models.recovery import HandoverBatch, HandoverItem, InvoiceReminder, ReminderStep
from core.models.waiting_lists import WaitingListEntry
from core.models.public_pages import PublicPage
from core.models.reference import ReferenceVersion

__all__ = [
    "AbsenceDay",
    "AbsenceCertificateRule",
    "AbsenceDeclaration",
    "AbsenceReason",
    "WEEKDAYS",
    "Activity",
    "Attendance",
    "Basket",
    "BasketItem",
    "Booking",
    "CampaignService",
    "CalendarFeed",
    "CatererOrder",
    "Child",
    "Closure",
    "Conversation",
    "CreditNote",
    "CreditNoteLine",
    "DocumentCounter",
    "DeadlineRule",
    "DocumentType",
    "DebitBatch",
    "DirectDebit",
    "EmailLog",
    "Enrolment",
    "EnrolmentCampaign",
    "EnrolmentRequest",
    "FamilyAccountRequest",
    "Guardian",
    "HandoverBatch",
    "HandoverItem",
    "Household",
    "HouseholdDocument",
    "Invoice",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceRun",
    "Mandate",
    "ModelWeekDay",
    "Message",
    "MessageAttachment",
    "News",
    "Notice",
    "NoticeRecipient",
    "Payment",
    "PaymentAllocation",
    "PaymentEvent",
    "PublicPage",
    "QuotientBracket",
    "QuotientFamilial",
    "ReferenceVersion",
    "RegistrationWindow",
    "Regie",
    "RequestedService",
    "ReminderStep",
    "School",
    "SchoolYear",
    "Tariff",
    "User",
    "WaitingListEntry",
]
