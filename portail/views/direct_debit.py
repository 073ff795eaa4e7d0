"""Prélèvement automatique: a household asks for direct debit, downloads its mandate, changes
the account (an amendment of the same mandate) or revokes it. Every query starts from the
logged-in guardian's household; the rules live in core.services.mandates."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.models import Mandate
from core.pdf import render_mandate_pdf
from core.services.mandates import (
    MandateError,
    mandate_amend,
    mandate_request,
    mandate_revoke,
    regies_offering_direct_debit,
)
from portail.forms import MandateForm
from portail.views.base import guardian_required


def _mandates(household):
    return Mandate.objects.for_household(household).select_related("regie")


def _page(request, *, request_form=None, amend_forms=None, status=200):
    household = request.household
    live = list(_mandates(household).live().order_by("regie__name"))
    covered = {mandate.regie_id for mandate in live}
    regies = regies_offering_direct_debit().exclude(pk__in=covered)
    can_sign = any(regie.sepa_parent_can_sign for regie in regies)
    if request_form is None and regies.exists():
        guardian = request.guardian
        request_form = MandateForm(
            regies=regies, can_sign=can_sign, initial={"holder_name": f"{guardian.first_name} {guardian.last_name}".strip()}
        )
    amend_forms = amend_forms or {}
    for mandate in live:
        mandate.amend_form = amend_forms.get(mandate.pk) or MandateForm(
            regies=regies, can_sign=False, with_regie=False, prefix=f"m{mandate.pk}",
            initial={"holder_name": mandate.holder_name},
        )
    ended = _mandates(household).exclude(status__in=Mandate.LIVE_STATUSES).order_by("-ended_at")[:5]
    return render(
        request,
        "portail/direct_debit.html",
        {"tab": "prelevement", "mandates": live, "ended": ended, "form": request_form, "can_sign": can_sign},
        status=status,
    )


@require_GET
@guardian_required("factures")
def direct_debit(request):
    return _page(request)


@require_POST
@guardian_required("factures")
def mandate_create(request):
    regies = regies_offering_direct_debit().exclude(pk__in=_mandates(request.household).live().values("regie"))
    can_sign = any(regie.sepa_parent_can_sign for regie in regies)
    form = MandateForm(request.POST, regies=regies, can_sign=can_sign)
    if form.is_valid():
        try:
            mandate = mandate_request(
                guardian=request.guardian, regie=form.cleaned_data["regie"], holder_name=form.cleaned_data["holder_name"],
                iban=form.cleaned_data["iban"], sign_online=form.cleaned_data.get("sign", False),
            )
        except MandateError as error:
            form.add_service_error(error)
        else:
            if mandate.status == Mandate.Status.ACTIVE:
                messages.success(request, "Votre mandat est signé : vos prochaines factures seront prélevées.")
            else:
                messages.success(
                    request,
                    "Votre demande est enregistrée. Téléchargez le mandat, signez-le et remettez-le à la régie "
                    "avec un RIB : le prélèvement s'appliquera dès sa validation.",
                )
            return redirect("portail:direct_debit")
    return _page(request, request_form=form, status=400)


@require_POST
@guardian_required("factures")
def mandate_change(request, mandate_id):
    mandate = get_object_or_404(_mandates(request.household).live(), pk=mandate_id)
    form = MandateForm(request.POST, regies=Mandate.objects.none(), can_sign=False, with_regie=False, prefix=f"m{mandate.pk}")
    if form.is_valid():
        try:
            mandate_amend(
                mandate_id=mandate.pk, household=request.household, holder_name=form.cleaned_data["holder_name"],
                iban=form.cleaned_data["iban"],
            )
        except MandateError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Le compte à prélever est modifié ; votre mandat garde sa référence.")
            return redirect("portail:direct_debit")
    return _page(request, amend_forms={mandate.pk: form}, status=400)


@require_POST
@guardian_required("factures")
def mandate_cancel(request, mandate_id):
    mandate = get_object_or_404(_mandates(request.household).live(), pk=mandate_id)
    mandate_revoke(mandate_id=mandate.pk, household=request.household, reason=request.POST.get("motif", "")[:200])
    messages.success(request, "Votre mandat est révoqué : vos factures à venir se paieront en ligne ou en mairie.")
    return redirect("portail:direct_debit")


@require_GET
@guardian_required("factures")
def mandate_pdf(request, mandate_id):
    """The mandate to sign (or as signed): only one's own household's."""
    mandate = get_object_or_404(_mandates(request.household), pk=mandate_id)
    response = HttpResponse(render_mandate_pdf(mandate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mandat-{mandate.rum}.pdf"'
    return response
