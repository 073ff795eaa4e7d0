"""A local stand-in for PayFiP: the same SOAP operations and a payment page, over HTTP.

It keeps its operations in PayfipSimulatorOperation, answers P5 until the payer has chosen an
outcome and P1 for an idop it never issued, then notifies `urlnotif` (form field `idop`, server
to server, unsigned — like PayFiP) and sends the browser back to `urlredirect`. The notification
can be delivered, dropped, delayed or duplicated, per operation or by default (settings).

Served only when PAYMENT_BACKEND = "simulator" and either DEBUG or PAYFIP_SIMULATOR_ALLOWED is on
(core.payfip.simulator_enabled).
"""

import datetime
import logging
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from core.constants import PARIS
from core.payfip import protocol, validation
from core.payfip.errors import PayfipInvalidInput, PayfipProtocolError
from core.payfip_simulator.models import PayfipSimulatorOperation

logger = logging.getLogger(__name__)
OPERATION_LIFETIME = datetime.timedelta(minutes=15)
NOTIFICATION_MODES = {choice.value for choice in PayfipSimulatorOperation.Notification}

# Codes seen from PayFiP itself, with the simulator's wording.
FAULTS = {
    "R3": ("Le format du paramètre REFDET n'est pas conforme.", "Référence de la dette incorrecte"),
    "A2": ("Le format de l'adresse mél n'est pas conforme.", "Adresse mél incorrecte"),
    "P1": ("L'identifiant de l'opération est inconnu ou a été purgé.", "IdOp incorrect"),
    "P5": ("Le résultat de la transaction n'est pas encore connu.", "Résultat de la transaction non connu"),
}
# The simulator's own codes (S…) for the other checks: PayFiP's real codes for them are not known.
FIELD_FAULTS = {
    "refdet": "R3",
    "mel": "A2",
    "montant": "SM",
    "numcli": "SN",
    "saisie": "SS",
    "exer": "SE",
    "urlnotif": "SU",
    "urlredirect": "SU",
}


def default_notification_mode():
    mode = settings.PAYFIP_SIMULATOR_NOTIFICATION
    if mode not in NOTIFICATION_MODES:
        raise ImproperlyConfigured(f"PAYFIP_SIMULATOR_NOTIFICATION doit valoir {sorted(NOTIFICATION_MODES)}, pas {mode!r}.")
    return mode


# -- SOAP endpoint --------------------------------------------------------------------------------
def _fault(code, *, kind="FonctionnelleErreur", descriptif=None, libelle=None):
    known_descriptif, known_libelle = FAULTS.get(code, ("", ""))
    return 500, protocol.build_fault(
        code=code, descriptif=descriptif or known_descriptif, libelle=libelle or known_libelle, kind=kind
    )


def handle_soap(content, *, now=None):
    """(HTTP status, envelope) answering one SOAP request like PayFiP would."""
    try:
        operation, fields = protocol.parse_request(content)
    except PayfipProtocolError as error:
        return _fault("ST", kind="TechProtocolaireErreur", descriptif=str(error), libelle="Requête SOAP invalide")
    now = now or timezone.now()
    if operation is protocol.CREER_PAIEMENT:
        return _create(fields, now=now)
    if operation is protocol.RECUPERER_DETAIL_PAIEMENT:
        return _detail(fields.get("idOp", ""), now=now)
    return _client_detail(fields.get("numCli", ""))


def _create(fields, *, now):
    try:
        cleaned = {
            "numcli": validation.clean_numcli(fields.get("numcli", "")),
            "saisie": validation.clean_saisie(fields.get("saisie", "")),
            "exer": validation.clean_exer(fields.get("exer", "")),
            "refdet": validation.clean_refdet(fields.get("refdet", "")),
            "mel": validation.clean_mel(fields.get("mel", "")),
            "urlnotif": validation.clean_url("urlnotif", fields.get("urlnotif", "")),
            "urlredirect": validation.clean_url("urlredirect", fields.get("urlredirect", "")),
        }
        montant = fields.get("montant", "")
        cleaned["montant"] = validation.clean_montant(int(montant) if montant.isdigit() else montant)
        objet = fields.get("objet", "")
        if objet != validation.normalize_objet(objet):
            raise PayfipInvalidInput("objet", "Le format du paramètre OBJET n'est pas conforme.")
    except PayfipInvalidInput as error:
        code = FIELD_FAULTS.get(error.field, "SO")
        return _fault(code, descriptif=str(error), libelle=f"Paramètre {error.field.upper()} incorrect")
    operation = PayfipSimulatorOperation.objects.create(objet=objet, created_at=now, **cleaned)
    return 200, protocol.build_response(protocol.CREER_PAIEMENT, {"idOp": operation.idop})


def operation_result(operation, *, now):
    """The result PayFiP gives at `now`: "" while not known (P5), the interim one (e.g. A) before
    a late result is known, then the payer's."""
    if operation.result_at and now < operation.result_at:
        return operation.interim_resultrans
    return operation.resultrans


def _detail(idop, *, now):
    operation = PayfipSimulatorOperation.objects.filter(idop=idop).first()
    if operation is None or (operation.purged_at and now >= operation.purged_at):
        return _fault("P1")
    resultrans = operation_result(operation, now=now)
    if not resultrans:
        return _fault("P5")
    late = resultrans == operation.resultrans and operation.result_at
    at = timezone.localtime(operation.result_at if late else operation.transaction_at, PARIS)
    return 200, protocol.build_response(
        protocol.RECUPERER_DETAIL_PAIEMENT,
        {
            "dattrans": at.strftime("%d%m%Y"),
            "heurtrans": at.strftime("%H%M"),
            "exer": operation.exer,
            "idOp": operation.idop,
            "mel": operation.mel,
            "montant": operation.montant,
            "numauto": operation.numauto if resultrans == operation.resultrans else "",
            "numcli": operation.numcli,
            "objet": operation.objet,
            "refdet": operation.refdet,
            "resultrans": resultrans,
            "saisie": operation.saisie,
        },
    )


def _client_detail(numcli):
    try:
        validation.clean_numcli(numcli)
    except PayfipInvalidInput as error:
        return _fault("SN", descriptif=str(error), libelle="Paramètre NUMCLI incorrect")
    return 200, protocol.build_response(
        protocol.RECUPERER_DETAIL_CLIENT,
        {
            "libelleN1": settings.TOWN_NAME, "libelleN2": collectivite_label(numcli), "libelleN3": "Simulateur PayFiP",
            "numcli": numcli,
        },
    )


def collectivite_label(numcli):
    """The régie's label at PayFiP. The simulator knows no régie of the site (PayFiP knows its own
    clients, not our tables): it names it after its numcli."""
    return f"Régie {numcli}"


# -- payment page ---------------------------------------------------------------------------------
def operation_is_expired(operation, *, now=None):
    return not operation.resultrans and (now or timezone.now()) > operation.created_at + OPERATION_LIFETIME


def operation_conclude(*, idop, resultrans, notification="", late_by=None, interim="", now=None):
    """Record the payer's outcome once (a second submit changes nothing), then notify after commit.

    `late_by` (a timedelta) plays a result PayFiP learns only later, after we may have given up on
    the attempt: until then it answers P5, or `interim` (e.g. A: abandoned, then paid after all),
    and the notification leaves when the result is known. Returns (operation, concluded_now)."""
    if resultrans not in PayfipSimulatorOperation.Result.values:
        raise ValueError(f"résultat inconnu : {resultrans!r}")
    if interim and interim not in PayfipSimulatorOperation.Result.values:
        raise ValueError(f"résultat intermédiaire inconnu : {interim!r}")
    mode = notification if notification in NOTIFICATION_MODES else default_notification_mode()
    now = now or timezone.now()
    late_by = late_by if late_by and late_by > datetime.timedelta(0) else None
    with transaction.atomic():
        operation = PayfipSimulatorOperation.objects.select_for_update().get(idop=idop)
        if operation.resultrans or operation_is_expired(operation, now=now):
            return operation, False
        operation.resultrans = resultrans
        operation.transaction_at = now
        operation.notification = mode
        operation.result_at = now + late_by if late_by else None
        operation.interim_resultrans = interim if late_by else ""
        if resultrans in {"P", "V"}:
            operation.numauto = f"{secrets.randbelow(10**6):06d}"
        operation.save(update_fields=[
            "resultrans", "transaction_at", "notification", "numauto", "result_at", "interim_resultrans"
        ])
    if late_by is None:
        dispatch_notification(operation)
    else:
        if operation.interim_resultrans:
            dispatch_notification(operation, mode="deliver" if mode != "drop" else mode)
        dispatch_notification(operation, after=late_by.total_seconds())
    return operation, True


def operation_purge(*, idop, now=None):
    """PayFiP forgets the operation: from now on it answers P1 (unknown or purged idop)."""
    now = now or timezone.now()
    PayfipSimulatorOperation.objects.filter(idop=idop, purged_at__isnull=True).update(purged_at=now)
    return PayfipSimulatorOperation.objects.get(idop=idop)


def redirect_url(operation):
    separator = "&" if "?" in operation.urlredirect else "?"
    return f"{operation.urlredirect}{separator}{urllib.parse.urlencode({'idop': operation.idop})}"


# -- notification ---------------------------------------------------------------------------------
def dispatch_notification(operation, *, mode=None, after=0):
    """Deliver, drop, delay or duplicate the server-to-server notification of one operation,
    `after` seconds from now (a result known late)."""
    mode = mode or operation.notification or default_notification_mode()
    if mode == "drop":
        logger.info("Simulateur PayFiP : notification de %s perdue volontairement", operation.idop)
        return
    if mode == "delay" or after:
        delay = after + (settings.PAYFIP_SIMULATOR_NOTIFICATION_DELAY if mode == "delay" else 0)
        timer = threading.Timer(delay, _send_in_thread, args=[operation.pk])
        timer.daemon = True
        timer.start()
        return
    send_notification(operation.pk)
    if mode == "duplicate":
        send_notification(operation.pk)


def _send_in_thread(operation_id):
    close_old_connections()
    try:
        send_notification(operation_id)
    finally:
        connection.close()


def send_notification(operation_id):
    """POST idop=<idop> to urlnotif, as PayFiP does, and record how it went."""
    operation = PayfipSimulatorOperation.objects.get(pk=operation_id)
    data = urllib.parse.urlencode({"idop": operation.idop}).encode()
    request = urllib.request.Request(
        operation.urlnotif, data=data, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        status = f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        status = f"échec : {getattr(error, 'reason', error)}"
    logger.info("Simulateur PayFiP : notification de %s vers %s → %s", operation.idop, operation.urlnotif, status)
    PayfipSimulatorOperation.objects.filter(pk=operation_id).update(
        notifications_sent=F("notifications_sent") + 1, last_notification_status=status[:200]
    )
    return status
