"""The simulator's HTTP side: the SOAP endpoint and the payment pages. Thin: logic is in simulator.py.

CSRF is off here on purpose: these pages stand in for a foreign site (PayFiP) that our portal
redirects to; they hold no session and change nothing but the simulator's own operations.
"""

import datetime
import functools
import urllib.parse

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.payfip import simulator_enabled
from core.payfip_simulator import simulator
from core.payfip_simulator.models import PayfipSimulatorOperation


def simulator_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not simulator_enabled():
            raise Http404("Simulateur PayFiP désactivé")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


@simulator_only
def soap(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    status, content = simulator.handle_soap(request.body)
    return HttpResponse(content, status=status, content_type="text/xml; charset=utf-8")


def _may_send_back(response, operation):
    """Like PayFiP, the simulator's forms end on the collectivité's urlredirect, which may be
    another origin (a strict form-action also applies to the redirect after a submit)."""
    policy = getattr(settings, "SECURE_CSP", None)
    if policy and response.status_code == 200:
        parts = urllib.parse.urlsplit(operation.urlredirect)
        origin = f"{parts.scheme}://{parts.netloc}"
        response._csp_config = {**policy, "form-action": [*policy.get("form-action", []), origin]}
    return response


def _operation(request):
    idop = request.GET.get("idop") or request.POST.get("idop") or ""
    return get_object_or_404(PayfipSimulatorOperation, idop=idop)


def _closed_page(request, operation):
    """An operation that can no longer be paid: already concluded or expired."""
    if operation.resultrans:
        return render(request, "payfip_simulator/closed.html", {"operation": operation, "expired": False}, status=409)
    if simulator.operation_is_expired(operation):
        return render(request, "payfip_simulator/closed.html", {"operation": operation, "expired": True}, status=410)
    return None


@simulator_only
@require_http_methods(["GET"])
def payment(request):
    operation = _operation(request)
    return _closed_page(request, operation) or _may_send_back(
        render(request, "payfip_simulator/payment.html", {"operation": operation}), operation
    )


@simulator_only
@require_http_methods(["GET"])
def card(request):
    operation = _operation(request)
    return _closed_page(request, operation) or _may_send_back(render(
        request,
        "payfip_simulator/card.html",
        {
            "operation": operation,
            "results": PayfipSimulatorOperation.Result.choices,
            "notifications": PayfipSimulatorOperation.Notification.choices,
            "default_notification": simulator.default_notification_mode(),
            "notification_delay": settings.PAYFIP_SIMULATOR_NOTIFICATION_DELAY,
            "collectivite": simulator.collectivite_label(operation.numcli),
            "months": [f"{month:02d}" for month in range(1, 13)],
            "years": [str(operation.created_at.year + offset) for offset in range(0, 8)],
        },
    ), operation)


@simulator_only
@require_http_methods(["POST"])
def conclude(request):
    operation = _operation(request)
    if simulator.operation_is_expired(operation):
        return _closed_page(request, operation)
    resultrans = request.POST.get("resultrans", "")
    if resultrans not in PayfipSimulatorOperation.Result.values:
        raise Http404("Résultat inconnu")
    late_by = request.POST.get("late_by_minutes", "")
    operation, _ = simulator.operation_conclude(
        idop=operation.idop, resultrans=resultrans, notification=request.POST.get("notification", ""),
        late_by=datetime.timedelta(minutes=min(int(late_by), 1440)) if late_by.isdigit() else None,
        interim="A" if request.POST.get("interim") == "A" else "",
    )
    return redirect(simulator.redirect_url(operation))


@simulator_only
@require_http_methods(["POST"])
def purge(request):
    """PayFiP forgets an operation: its detail answers P1 from now on."""
    operation = simulator.operation_purge(idop=_operation(request).idop)
    return render(request, "payfip_simulator/closed.html", {"operation": operation, "expired": True}, status=410)
