"""PayFiP: the DGFiP payment gateway, and its local simulator. See README.md in this folder.

    from core.payfip import get_backend
    backend = get_backend(regie=invoice.regie)
    created = backend.create_payment(refdet=…, montant=…, mel=…, objet=…, urlnotif=…, urlredirect=…)
    detail = backend.get_payment_detail(created.idop)
"""

from django.conf import settings
from django.urls import reverse

from core.payfip.client import ClientDetail, CreatedPayment, Outcome, PaymentDetail, PayfipClient
from core.payfip.errors import (
    InvalidEmail,
    InvalidRefdet,
    PayfipError,
    PayfipFault,
    PayfipInvalidInput,
    PayfipNotConfigured,
    PayfipProtocolError,
    PayfipTechnicalFault,
    PayfipUnreachable,
    ResultNotYetKnown,
    UnknownOperation,
)
from core.payfip.validation import normalize_objet, refdet_from

__all__ = [
    "ClientDetail",
    "CreatedPayment",
    "InvalidEmail",
    "InvalidRefdet",
    "Outcome",
    "PayfipClient",
    "PayfipError",
    "PayfipFault",
    "PayfipInvalidInput",
    "PayfipNotConfigured",
    "PayfipProtocolError",
    "PayfipTechnicalFault",
    "PayfipUnreachable",
    "PaymentDetail",
    "ResultNotYetKnown",
    "UnknownOperation",
    "get_backend",
    "normalize_objet",
    "refdet_from",
    "simulator_enabled",
]


def simulator_enabled():
    """The local simulator (core.payfip_simulator) is the backend and may serve: never in production."""
    return settings.PAYMENT_BACKEND == "simulator" and bool(settings.DEBUG or settings.PAYFIP_SIMULATOR_ALLOWED)


def get_backend(*, regie):
    """The PayFiP client of a régie: the real web service, or the simulator of this very site.

    Both are the same client speaking SOAP over HTTP; only the addresses differ."""
    if not regie.payfip_numcli:
        raise PayfipNotConfigured(f"La régie « {regie} » n'a pas d'identifiant PayFiP (numcli).")
    backend = settings.PAYMENT_BACKEND
    if backend == "payfip":
        endpoint, payment_url = settings.PAYFIP_ENDPOINT, settings.PAYFIP_PAYMENT_URL
    elif backend == "simulator":
        if not simulator_enabled():
            raise PayfipNotConfigured(
                "Le simulateur PayFiP n'est disponible qu'en développement (DEBUG) ou en test "
                "(PAYFIP_SIMULATOR_ALLOWED) : en production, PAYMENT_BACKEND=payfip."
            )
        endpoint = settings.SITE_URL + reverse("payfip_simulator:soap")
        payment_url = settings.SITE_URL + reverse("payfip_simulator:payment")
    else:
        raise PayfipNotConfigured(f"PAYMENT_BACKEND inconnu : {backend!r} (simulator ou payfip).")
    return PayfipClient(
        endpoint=endpoint,
        payment_url=payment_url,
        numcli=regie.payfip_numcli,
        saisie=settings.PAYFIP_SAISIE,
        timeout=settings.PAYFIP_TIMEOUT,
    )
