"""The PayFiP web-service client: three SOAP operations over HTTP, typed results and errors."""

import datetime
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from enum import StrEnum

from django.utils import timezone

from core.constants import PARIS
from core.payfip import protocol, validation
from core.payfip.errors import PayfipProtocolError, PayfipUnreachable


class Outcome(StrEnum):
    PAID = "paid"
    REFUSED = "refused"
    ABANDONED = "abandoned"
    ERROR = "error"


RESULTRANS_OUTCOMES = {
    "P": Outcome.PAID,  # paid by card
    "V": Outcome.PAID,  # paid by direct debit
    "A": Outcome.ABANDONED,
    "R": Outcome.REFUSED,  # card refused
    "Z": Outcome.REFUSED,  # direct debit refused
}


@dataclass(frozen=True)
class CreatedPayment:
    idop: str
    payment_url: str  # where to send the parent's browser


@dataclass(frozen=True)
class PaymentDetail:
    """The answer of recupererDetailPaiementSecurise: the only source of truth about a payment."""

    idop: str
    resultrans: str
    montant: int  # cents
    refdet: str
    numcli: str
    saisie: str
    mel: str
    objet: str
    exer: str
    numauto: str
    transaction_at: datetime.datetime | None  # aware; from dattrans + heurtrans (Paris time)

    @property
    def outcome(self):
        return RESULTRANS_OUTCOMES.get(self.resultrans, Outcome.ERROR)

    @property
    def is_paid(self):
        return self.outcome == Outcome.PAID

    @property
    def is_test(self):
        return self.saisie == "T"


@dataclass(frozen=True)
class ClientDetail:
    numcli: str
    labels: tuple  # libelleN1..N3, empty ones dropped


def parse_transaction_at(dattrans, heurtrans):
    """DDMMYYYY + HHMM in Paris time → aware datetime; None when PayFiP gives no date."""
    if not dattrans:
        return None
    try:
        day = datetime.datetime.strptime(dattrans, "%d%m%Y")
        hour = datetime.datetime.strptime(heurtrans or "0000", "%H%M").time()
    except ValueError as exc:
        raise PayfipProtocolError(f"date de transaction illisible ({dattrans!r} {heurtrans!r})") from exc
    return datetime.datetime.combine(day.date(), hour, tzinfo=PARIS)


class PayfipClient:
    """One régie's access to PayFiP (or to the simulator, which speaks the same protocol)."""

    def __init__(self, *, endpoint, payment_url, numcli, saisie, timeout=20):
        self.endpoint = endpoint
        self.payment_url = payment_url
        self.numcli = validation.clean_numcli(numcli)
        self.saisie = validation.clean_saisie(saisie)
        self.timeout = timeout

    def __repr__(self):
        return f"<PayfipClient {self.endpoint} numcli={self.numcli} saisie={self.saisie}>"

    # -- operations --------------------------------------------------------------------------
    def create_payment(self, *, refdet, montant, mel, objet, urlnotif, urlredirect, exer=None, now=None):
        """creerPaiementSecurise: validate everything, then ask PayFiP for an idop."""
        fields = {
            "numcli": self.numcli,
            "saisie": self.saisie,
            "exer": validation.clean_exer(exer or timezone.localtime(now or timezone.now(), PARIS).year),
            "refdet": validation.clean_refdet(refdet),
            "montant": validation.clean_montant(montant),
            "mel": validation.clean_mel(mel),
            "objet": validation.normalize_objet(objet),
            "urlnotif": validation.clean_url("urlnotif", urlnotif),
            "urlredirect": validation.clean_url("urlredirect", urlredirect),
        }
        answer = self.call(protocol.CREER_PAIEMENT, fields)
        idop = answer.get("idOp", "")
        if not idop:
            raise PayfipProtocolError("creerPaiementSecurise n'a pas rendu d'idOp")
        return CreatedPayment(idop=idop, payment_url=self.payment_page_url(idop))

    def get_payment_detail(self, idop):
        """recupererDetailPaiementSecurise; raises ResultNotYetKnown (P5) or UnknownOperation (P1)."""
        answer = self.call(protocol.RECUPERER_DETAIL_PAIEMENT, {"idOp": idop})
        try:
            montant = int(answer.get("montant", ""))
        except ValueError as exc:
            raise PayfipProtocolError(f"montant illisible ({answer.get('montant')!r})") from exc
        return PaymentDetail(
            idop=answer.get("idOp") or idop,
            resultrans=answer.get("resultrans", ""),
            montant=montant,
            refdet=answer.get("refdet", ""),
            numcli=answer.get("numcli", ""),
            saisie=answer.get("saisie", ""),
            mel=answer.get("mel", ""),
            objet=answer.get("objet", ""),
            exer=answer.get("exer", ""),
            numauto=answer.get("numauto", ""),
            transaction_at=parse_transaction_at(answer.get("dattrans", ""), answer.get("heurtrans", "")),
        )

    def get_client_detail(self):
        """recupererDetailClient: the régie's labels at PayFiP, to check the configuration."""
        answer = self.call(protocol.RECUPERER_DETAIL_CLIENT, {"numCli": self.numcli})
        labels = tuple(answer[name] for name in ("libelleN1", "libelleN2", "libelleN3") if answer.get(name))
        return ClientDetail(numcli=answer.get("numcli") or self.numcli, labels=labels)

    def payment_page_url(self, idop):
        separator = "&" if "?" in self.payment_url else "?"
        return f"{self.payment_url}{separator}{urllib.parse.urlencode({'idop': idop})}"

    # -- transport ---------------------------------------------------------------------------
    def call(self, operation, fields):
        """Send one operation as is (no validation) and return the fields of its answer."""
        request = urllib.request.Request(
            self.endpoint,
            data=protocol.build_request(operation, fields),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content = response.read()
        except urllib.error.HTTPError as error:
            # A SOAP fault comes with HTTP 500; any other HTTP error page means no usable answer.
            content = error.read()
            if not protocol.is_soap_envelope(content):
                raise PayfipUnreachable(f"HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise PayfipUnreachable(str(getattr(error, "reason", error))) from error
        return protocol.parse_response(operation, content)
