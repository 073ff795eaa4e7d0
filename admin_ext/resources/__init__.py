"""Spreadsheet import and export (django-import-export): the families import in households_import,
the bookings, invoices and payments exports in exports."""

from admin_ext.resources.exports import (
    BookingResource,
    DebitBatchResource,
    InvoiceResource,
    MandateResource,
    PaymentResource,
)
from admin_ext.resources.households_import import HOUSEHOLD_COLUMNS, HouseholdResource, household_template_dataset

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "BookingResource",
    "DebitBatchResource",
    "HouseholdResource",
    "InvoiceResource",
    "MandateResource",
    "PaymentResource",
    "household_template_dataset",
]
