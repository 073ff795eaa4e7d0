"""Factures et paiements: the household's invoices, the payment basket, PayFiP's return."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from core.models import Payment
from core.services.payments import payment_check


@login_required
def payment_return(request, payment_uuid):
    guardian = getattr(request.user, "guardian", None)
    if guardian is None:
        raise Http404
    payment = get_object_or_404(Payment.objects.for_household(guardian.household), uuid=payment_uuid)
    if payment.is_in_flight:
        payment = payment_check(payment_id=payment.pk, source="retour")
    return HttpResponse(payment.get_status_display())
