"""PDF documents rendered with WeasyPrint from the HTML templates in templates/invoices/."""

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template, context):
    from weasyprint import HTML

    html = render_to_string(template, {"town_name": settings.TOWN_NAME, "site_url": settings.SITE_URL, **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf_context(invoice):
    from core.models import DirectDebit

    return {
        "invoice": invoice,
        # The pre-notification of a household under direct debit: amount, date, RUM and ICS.
        "debit": invoice.direct_debits.filter(status__in=DirectDebit.AWAITED_STATUSES).select_related("mandate").first(),
        "lines": list(invoice.lines.select_related("child", "activity")),
        "regie": invoice.regie,
        "payer_name": invoice.payer_name,
        "payer_address": invoice.payer_address,
    }


def render_invoice_pdf(invoice):
    return render_pdf("invoices/invoice.html", invoice_pdf_context(invoice))


def render_credit_note_pdf(note):
    invoice = note.invoice
    return render_pdf(
        "invoices/credit_note.html",
        {
            "note": note,
            "invoice": invoice,
            "lines": list(note.lines.all()),
            "regie": note.regie,
            "payer_name": invoice.payer_name,
            "payer_address": invoice.payer_address,
        },
    )


def render_reminder_letter_pdf(*, reminder, invoice, today):
    """The formal « lettre de relance » of an unpaid invoice."""
    return render_pdf(
        "invoices/reminder_letter.html",
        {
            "invoice": invoice,
            "reminder": reminder,
            "today": today,
            "regie": invoice.regie,
            "payer_name": invoice.payer_name,
            "payer_address": invoice.payer_address,
        },
    )


def render_certificate_pdf(template, *, household, payer_name, payer_address, **context):
    """A certificate for a family (tax certificate, attestation of payment or attendance)."""
    return render_pdf(
        template,
        {
            "household": household,
            "payer_name": payer_name,
            "payer_address": payer_address,
            "town_address": settings.TOWN_ADDRESS,
            "town_siret": settings.TOWN_SIRET,
            "town_city": settings.TOWN_CITY,
            **context,
        },
    )


def render_mandate_pdf(mandate):
    """The SEPA mandate: the debtor's name and address are mandatory on it (the household's billing
    address, as on its invoices)."""
    from core.services.billing import payer_snapshot

    address = payer_snapshot(mandate.household)["payer_address"]
    return render_pdf(
        "invoices/mandate.html",
        {"mandate": mandate, "regie": mandate.regie, "payer_name": mandate.holder_name, "payer_address": address},
    )
