"""Factures et paiements: the household's invoices (en cours, archivées), the payment basket kept
in the session, Payer → PayFiP, the return page, and the PDFs. Every query starts from the
logged-in guardian's household; amounts and states come from core.services.payments."""

import logging
import urllib.parse

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.models import Invoice, Payment
from core.services.payments import InvoiceNotFound, PaymentError, payment_check, payment_start
from portail.navigation import NavItem, register
from portail.views.base import guardian_required

logger = logging.getLogger("core.payments")

register(NavItem("factures", "Factures et paiements", "portail:invoices", 30))

BASKET_KEY = "invoice_basket"


def _invoices(household):
    return Invoice.objects.for_household(household).with_balance().with_fees().select_related("regie")


def _basket(request, open_invoices):
    """The session's selection, reduced to what can still be paid (a stale id simply drops out)."""
    wanted = set(request.session.get(BASKET_KEY, []))
    return [invoice for invoice in open_invoices if invoice.pk in wanted and invoice.is_payable]


def _due_label(invoice, today):
    days = invoice.days_until_due(today=today)
    if days is None:
        return ""
    if days > 1:
        return f"{days} jours avant échéance"
    if days == 1:
        return "1 jour avant échéance"
    if days == 0:
        return "Échéance aujourd'hui"
    return f"Échue depuis {-days} jour{'s' if days < -1 else ''}"


def _with_payfip_form_action(response):
    """The basket's form leads, through our redirect, to PayFiP's page: allow that origin."""
    policy = getattr(settings, "SECURE_CSP", None)
    if policy and settings.PAYMENT_BACKEND == "payfip":
        parts = urllib.parse.urlsplit(settings.PAYFIP_PAYMENT_URL)
        response._csp_config = {**policy, "form-action": [*policy.get("form-action", []), f"{parts.scheme}://{parts.netloc}"]}
    return response


@require_GET
@guardian_required("factures")
def invoices(request):
    """Factures en cours: what is still due, with the basket to pay it online."""
    today = timezone.localdate()
    open_invoices = list(_invoices(request.household).open())
    basket = _basket(request, open_invoices)
    selected = {invoice.pk for invoice in basket}
    for invoice in open_invoices:
        invoice.due_label = _due_label(invoice, today)
        invoice.is_selected = invoice.pk in selected
        invoice.in_flight = invoice.status == Invoice.Status.PAYMENT_IN_PROGRESS
        invoice.debit_in_progress = invoice.status == Invoice.Status.DIRECT_DEBIT_IN_PROGRESS
    response = render(
        request,
        "portail/invoices.html",
        {
            "tab": "en-cours",
            "invoices": open_invoices,
            "basket": basket,
            "basket_total": sum((invoice.balance for invoice in basket), 0),
        },
    )
    return _with_payfip_form_action(response)


@require_GET
@guardian_required("factures")
def archived_invoices(request):
    """Factures archivées: paid or cancelled invoices, still downloadable."""
    archived = _invoices(request.household).archived()
    return render(request, "portail/invoices_archived.html", {"tab": "archivees", "invoices": archived})


@require_POST
@guardian_required("factures")
def basket_change(request):
    """Select or unselect one invoice, or empty the basket; only the household's due invoices count."""
    action = request.POST.get("action")
    basket = set(request.session.get(BASKET_KEY, []))
    if action == "vider":
        basket = set()
    else:
        try:
            invoice_id = int(request.POST.get("invoice", ""))
        except ValueError as error:
            raise Http404("Facture introuvable") from error
        invoice = get_object_or_404(_invoices(request.household), pk=invoice_id)
        if action == "ajouter":
            if not invoice.is_payable:
                messages.error(request, f"La facture n° {invoice.number} ne peut pas être sélectionnée pour le moment.")
            else:
                basket.add(invoice.pk)
        elif action == "retirer":
            basket.discard(invoice.pk)
    request.session[BASKET_KEY] = sorted(basket)
    # Back on the same button, or on the basket's heading: both take the focus the fragment gives.
    anchor = f"#selection-facture-{invoice.pk}" if action in ("ajouter", "retirer") else "#panier-titre"
    return redirect(reverse("portail:invoices") + anchor)


@require_POST
@guardian_required("factures")
def pay(request):
    """Payer: start one online payment for the basket and send the browser to PayFiP."""
    invoice_ids = request.session.get(BASKET_KEY, [])
    try:
        payment = payment_start(guardian=request.guardian, invoice_ids=invoice_ids)
    except InvoiceNotFound as error:
        request.session[BASKET_KEY] = []
        raise Http404("Facture introuvable") from error
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect("portail:invoices")
    request.session[BASKET_KEY] = []
    return redirect(payment.payment_url)


@guardian_required("factures")
def payment_return(request, payment_uuid):
    """Back from PayFiP: show the outcome, asking PayFiP first if it is still unknown."""
    payment = get_object_or_404(Payment.objects.for_household(request.household), uuid=payment_uuid, method=Payment.Method.ONLINE)
    if payment.awaits_payfip(now=timezone.now()):
        try:
            payment = payment_check(payment_id=payment.pk, source="retour")
        except Exception:  # the page still answers; the reconciliation job will catch up
            logger.exception("payment %s: check on return failed", payment.pk)
    allocations = payment.allocations.select_related("invoice").order_by("invoice__number")
    return render(request, "portail/payment_return.html", {"payment": payment, "allocations": allocations})


@require_GET
@guardian_required("factures")
def invoice_pdf(request, invoice_id):
    """Télécharger: only one's own household's invoice, and only once its PDF exists."""
    invoice = get_object_or_404(Invoice.objects.for_household(request.household), pk=invoice_id)
    if not invoice.pdf:
        raise Http404("PDF pas encore disponible")
    return FileResponse(invoice.pdf.open("rb"), as_attachment=True, filename=f"facture-{invoice.number}.pdf",
                        content_type="application/pdf")
