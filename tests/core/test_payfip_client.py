"""The PayFiP client against the local simulator, over real HTTP (live server, real sockets)."""

import datetime
import importlib
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.urls import Resolver404, clear_url_caches, resolve
from django.utils import timezone

from core.payfip_simulator.models import PayfipSimulatorOperation
from core.payfip import (
    InvalidEmail,
    InvalidRefdet,
    Outcome,
    PayfipClient,
    PayfipFault,
    PayfipInvalidInput,
    PayfipNotConfigured,
    PayfipProtocolError,
    PayfipTechnicalFault,
    PayfipUnreachable,
    ResultNotYetKnown,
    UnknownOperation,
    get_backend,
    normalize_objet,
    refdet_from,
)
from core.payfip import protocol
from tests import factories
from tests.payfip_receiver import CannedAnswer

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(url, data=None):
    """(status, headers, text) of one real HTTP request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=15) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture
def regie(transactional_db):
    return factories.RegieFactory(name="Régie de la restauration scolaire", invoice_prefix="RS", payfip_numcli="012345")


@pytest.fixture
def backend(live_server, settings, regie):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_BACKEND = "simulator"
    settings.PAYFIP_SAISIE = "T"
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "deliver"
    return get_backend(regie=regie)


def start(backend, receiver, **overrides):
    fields = {
        "refdet": "RS2026000123",
        "montant": 5920,
        "mel": "parent@example.org",
        "objet": "Facture RS-2026-000123 — cantine de septembre",
        "urlnotif": f"{receiver.url}/notif",
        "urlredirect": f"{receiver.url}/retour",
        **overrides,
    }
    return backend.create_payment(**fields)


def conclude(live_server, idop, resultrans, notification=""):
    return http(
        f"{live_server.url}/simulateur-payfip/paiement/resultat",
        {"idop": idop, "resultrans": resultrans, "notification": notification},
    )


# -- creerPaiementSecurise ------------------------------------------------------------------------
def test_create_payment_returns_an_idop_and_the_payment_page_shows_the_debt(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)

    assert UUID_RE.match(created.idop)
    assert created.payment_url == f"{live_server.url}/simulateur-payfip/paiement?idop={created.idop}"
    operation = PayfipSimulatorOperation.objects.get(idop=created.idop)
    assert (operation.numcli, operation.refdet, operation.montant, operation.saisie) == ("012345", "RS2026000123", 5920, "T")
    assert operation.objet == "Facture RS 2026 000123 cantine de septembre"
    assert operation.exer == str(timezone.localdate().year)
    status, _, page = http(created.payment_url)
    assert status == 200
    assert "Informations sur la dette" in page and "RS2026000123" in page and "59,20" in page
    assert "parent@example.org" in page and "Payer par carte bancaire" in page


def test_the_real_endpoint_and_payment_page_come_from_settings(settings, regie):
    settings.PAYMENT_BACKEND = "payfip"
    settings.PAYFIP_ENDPOINT = "https://www.payfip.gouv.fr/tpa/services/securite"
    settings.PAYFIP_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
    settings.PAYFIP_SAISIE = "X"
    client = get_backend(regie=regie)
    assert (client.endpoint, client.numcli, client.saisie) == (settings.PAYFIP_ENDPOINT, "012345", "X")
    assert client.payment_page_url("abc") == "https://www.payfip.gouv.fr/tpa/paiementws.web?idop=abc"


def test_a_regie_without_numcli_has_no_backend(settings, regie):
    regie.payfip_numcli = ""
    with pytest.raises(PayfipNotConfigured, match="n'a pas d'identifiant PayFiP"):
        get_backend(regie=regie)


# -- recupererDetailPaiementSecurise --------------------------------------------------------------
def test_result_is_p5_until_the_payer_chooses_an_outcome(backend, payfip_receiver):
    created = start(backend, payfip_receiver)
    with pytest.raises(ResultNotYetKnown) as raised:
        backend.get_payment_detail(created.idop)
    assert raised.value.code == "P5"
    assert "pas encore connu" in str(raised.value)


def test_an_unknown_idop_is_p1(backend):
    with pytest.raises(UnknownOperation) as raised:
        backend.get_payment_detail("00000000-0000-0000-0000-000000000000")
    assert raised.value.code == "P1" and "idop inconnu" in str(raised.value)


def test_a_paid_operation_notifies_redirects_and_details_every_field(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)
    before = timezone.now().replace(second=0, microsecond=0)

    status, headers, _ = conclude(live_server, created.idop, "P")

    assert status == 302
    assert headers["Location"] == f"{payfip_receiver.url}/retour?idop={created.idop}"
    notifications = payfip_receiver.notifications()
    assert [n.form for n in notifications] == [{"idop": created.idop}]
    detail = backend.get_payment_detail(created.idop)
    assert detail.resultrans == "P" and detail.outcome == Outcome.PAID and detail.is_paid
    assert (detail.idop, detail.montant, detail.refdet, detail.numcli) == (created.idop, 5920, "RS2026000123", "012345")
    assert (detail.saisie, detail.mel, detail.exer) == ("T", "parent@example.org", str(timezone.localdate().year))
    assert detail.objet == "Facture RS 2026 000123 cantine de septembre"
    assert re.match(r"^\d{6}$", detail.numauto)
    assert detail.transaction_at.tzinfo is not None and str(detail.transaction_at.tzinfo) == "Europe/Paris"
    assert before <= detail.transaction_at <= timezone.now()
    assert detail.is_test


@pytest.mark.parametrize(
    ("resultrans", "outcome"),
    [("V", Outcome.PAID), ("A", Outcome.ABANDONED), ("R", Outcome.REFUSED), ("Z", Outcome.REFUSED)],
)
def test_each_outcome_is_reported(backend, payfip_receiver, live_server, resultrans, outcome):
    created = start(backend, payfip_receiver)
    conclude(live_server, created.idop, resultrans)
    detail = backend.get_payment_detail(created.idop)
    assert (detail.resultrans, detail.outcome) == (resultrans, outcome)
    assert bool(detail.numauto) == (resultrans == "V")
    assert len(payfip_receiver.notifications()) == 1


def test_an_unknown_resultrans_is_an_error_outcome():
    from core.payfip.client import PaymentDetail

    detail = PaymentDetail(
        idop="x", resultrans="Q", montant=100, refdet="ABCDEF", numcli="012345", saisie="W", mel="a@b.fr",
        objet="", exer="2026", numauto="", transaction_at=None,
    )
    assert detail.outcome == Outcome.ERROR and not detail.is_paid


def test_a_second_submit_changes_nothing(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)
    conclude(live_server, created.idop, "P")
    status, headers, _ = conclude(live_server, created.idop, "R")
    assert status == 302 and headers["Location"].startswith(f"{payfip_receiver.url}/retour")
    assert backend.get_payment_detail(created.idop).resultrans == "P"
    assert len(payfip_receiver.notifications()) == 1


def test_an_operation_older_than_15_minutes_cannot_be_paid(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)
    PayfipSimulatorOperation.objects.filter(idop=created.idop).update(
        created_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    status, _, page = http(created.payment_url)
    assert status == 410 and "Opération expirée" in page
    assert conclude(live_server, created.idop, "P")[0] == 410
    with pytest.raises(ResultNotYetKnown):
        backend.get_payment_detail(created.idop)
    assert payfip_receiver.notifications() == []


# -- notification switches ------------------------------------------------------------------------
def test_a_dropped_notification_never_arrives_but_the_result_is_there(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)
    assert conclude(live_server, created.idop, "P", notification="drop")[0] == 302
    assert payfip_receiver.wait_for(1, timeout=1) == []
    assert PayfipSimulatorOperation.objects.get(idop=created.idop).notifications_sent == 0
    assert backend.get_payment_detail(created.idop).is_paid


def test_a_duplicated_notification_arrives_twice(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver)
    conclude(live_server, created.idop, "P", notification="duplicate")
    assert [n.form["idop"] for n in payfip_receiver.notifications()] == [created.idop, created.idop]
    operation = PayfipSimulatorOperation.objects.get(idop=created.idop)
    assert (operation.notifications_sent, operation.last_notification_status) == (2, "HTTP 200")


def test_a_delayed_notification_arrives_after_the_browser_is_back(backend, payfip_receiver, live_server, settings):
    settings.PAYFIP_SIMULATOR_NOTIFICATION_DELAY = 1
    created = start(backend, payfip_receiver)
    assert conclude(live_server, created.idop, "P", notification="delay")[0] == 302
    assert payfip_receiver.notifications() == []
    assert [n.form["idop"] for n in payfip_receiver.wait_for(1, timeout=10)] == [created.idop]


def test_the_default_notification_mode_comes_from_settings(backend, payfip_receiver, live_server, settings):
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "drop"
    created = start(backend, payfip_receiver)
    conclude(live_server, created.idop, "A")
    assert PayfipSimulatorOperation.objects.get(idop=created.idop).notification == "drop"
    assert payfip_receiver.wait_for(1, timeout=1) == []


def test_an_unreachable_urlnotif_does_not_block_the_redirect(backend, payfip_receiver, live_server):
    created = start(backend, payfip_receiver, urlnotif="http://127.0.0.1:9/notif")
    status, headers, _ = conclude(live_server, created.idop, "P")
    assert status == 302 and headers["Location"].startswith(f"{payfip_receiver.url}/retour")
    assert PayfipSimulatorOperation.objects.get(idop=created.idop).last_notification_status.startswith("échec")


# -- recupererDetailClient ------------------------------------------------------------------------
def test_client_detail_gives_the_regie_labels(backend, settings):
    detail = backend.get_client_detail()
    assert detail.numcli == "012345"
    # The simulator reads no table of the site: it names the régie after its numcli, as PayFiP knows it.
    assert detail.labels == (settings.TOWN_NAME, "Régie 012345", "Simulateur PayFiP")


# -- faults from PayFiP ---------------------------------------------------------------------------
def _raw_create(backend, receiver, **overrides):
    """creerPaiementSecurise sent as is, bypassing the client's own checks, to reach PayFiP's."""
    fields = {
        "numcli": "012345", "saisie": "T", "exer": "2026", "refdet": "RS2026000123", "montant": "5920",
        "mel": "parent@example.org", "objet": "Facture", "urlnotif": f"{receiver.url}/notif",
        "urlredirect": f"{receiver.url}/retour", **overrides,
    }
    return backend.call(protocol.CREER_PAIEMENT, fields)


def test_a_malformed_refdet_is_fault_r3(backend, payfip_receiver):
    with pytest.raises(InvalidRefdet) as raised:
        _raw_create(backend, payfip_receiver, refdet="RS-2026-000123")
    fault = raised.value
    assert (fault.code, fault.kind) == ("R3", "FonctionnelleErreur")
    assert fault.descriptif and fault.libelle and fault.severite
    assert "référence de la dette" in str(fault) and "R3" in str(fault)


def test_a_malformed_email_is_fault_a2(backend, payfip_receiver):
    with pytest.raises(InvalidEmail) as raised:
        _raw_create(backend, payfip_receiver, mel="pas-une-adresse")
    assert raised.value.code == "A2" and "adresse électronique" in str(raised.value)


def test_other_codes_are_a_generic_fault_keeping_the_code(backend, payfip_receiver):
    with pytest.raises(PayfipFault) as raised:
        _raw_create(backend, payfip_receiver, montant="12")
    assert type(raised.value) is PayfipFault and raised.value.code == "SM"


def test_a_technical_fault_is_typed_and_retryable(payfip_receiver):
    payfip_receiver.answers["/soap"] = CannedAnswer(
        500, protocol.build_fault(code="T1", descriptif="Service indisponible", libelle="Indisponibilité", kind="TechIndisponibiliteErreur")
    )
    client = PayfipClient(endpoint=f"{payfip_receiver.url}/soap", payment_url="http://x/", numcli="012345", saisie="W")
    with pytest.raises(PayfipTechnicalFault) as raised:
        client.get_payment_detail("abc")
    assert raised.value.retryable and raised.value.kind == "TechIndisponibiliteErreur"


def test_an_answer_with_qualified_fields_is_read_too(payfip_receiver):
    """The namespace of the fields inside <return> is undocumented: both forms are accepted."""
    payfip_receiver.answers["/soap"] = CannedAnswer(200, f"""<?xml version="1.0"?>
<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2="{protocol.SERVICE_NS}">
<return xmlns:r="http://securite.service.tpa.cp.finances.gouv.fr/reponse">
<r:dattrans>01092026</r:dattrans><r:exer>2026</r:exer><r:heurtrans>1428</r:heurtrans><r:idOp>abc</r:idOp>
<r:mel>parent@example.org</r:mel><r:montant>5920</r:montant><r:numauto>123456</r:numauto><r:numcli>012345</r:numcli>
<r:objet>Facture</r:objet><r:refdet>RS2026000123</r:refdet><r:resultrans>P</r:resultrans><r:saisie>W</r:saisie>
</return></ns2:recupererDetailPaiementSecuriseResponse></S:Body></S:Envelope>""".encode())
    client = PayfipClient(endpoint=f"{payfip_receiver.url}/soap", payment_url="http://x/", numcli="012345", saisie="W")
    detail = client.get_payment_detail("abc")
    assert (detail.montant, detail.numauto, detail.resultrans) == (5920, "123456", "P")
    assert detail.transaction_at == datetime.datetime(2026, 9, 1, 14, 28, tzinfo=detail.transaction_at.tzinfo)
    assert detail.transaction_at.utcoffset() == datetime.timedelta(hours=2)
    request = payfip_receiver.requests[-1]
    assert b"<arg0><idOp>abc</idOp></arg0>" in request.body


# -- network errors -------------------------------------------------------------------------------
def test_a_closed_port_is_payfip_unreachable():
    client = PayfipClient(endpoint="http://127.0.0.1:9/soap", payment_url="http://x/", numcli="012345", saisie="W", timeout=3)
    with pytest.raises(PayfipUnreachable) as raised:
        client.get_client_detail()
    assert raised.value.retryable and "injoignable" in str(raised.value)


def test_an_http_error_page_is_payfip_unreachable(payfip_receiver):
    payfip_receiver.answers["/soap"] = CannedAnswer(502, b"<html>Bad Gateway</html>", "text/html")
    client = PayfipClient(endpoint=f"{payfip_receiver.url}/soap", payment_url="http://x/", numcli="012345", saisie="W")
    with pytest.raises(PayfipUnreachable, match="HTTP 502"):
        client.get_client_detail()


def test_a_garbled_answer_is_a_protocol_error(payfip_receiver):
    payfip_receiver.answers["/soap"] = CannedAnswer(200, b"<html>maintenance</html>", "text/html")
    client = PayfipClient(endpoint=f"{payfip_receiver.url}/soap", payment_url="http://x/", numcli="012345", saisie="W")
    with pytest.raises(PayfipProtocolError):
        client.get_client_detail()


# -- input validation: nothing invalid leaves the server ------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"refdet": "RS-2026-000123"}, "refdet"),
        ({"refdet": "RS12"}, "refdet"),
        ({"refdet": "R" * 31}, "refdet"),
        ({"refdet": "RS 2026 0001"}, "refdet"),
        ({"montant": 99}, "montant"),
        ({"montant": Decimal("59.20")}, "montant"),
        ({"montant": 59.2}, "montant"),
        ({"montant": "5920"}, "montant"),
        ({"montant": 10_000_001}, "montant"),
        ({"mel": "a@b.f"}, "mel"),
        ({"mel": "x" * 75 + "@example.org"}, "mel"),
        ({"mel": "pas une adresse"}, "mel"),
        ({"urlnotif": "ftp://example.org/"}, "urlnotif"),
        ({"exer": "26"}, "exer"),
    ],
)
def test_invalid_input_is_refused_before_sending(backend, payfip_receiver, overrides, field):
    with pytest.raises(PayfipInvalidInput) as raised:
        start(backend, payfip_receiver, **overrides)
    assert raised.value.field == field
    assert not PayfipSimulatorOperation.objects.exists()


def test_a_refdet_with_a_hyphen_is_never_sent(payfip_receiver):
    client = PayfipClient(endpoint=f"{payfip_receiver.url}/soap", payment_url="http://x/", numcli="012345", saisie="W")
    with pytest.raises(PayfipInvalidInput, match="sans tiret"):
        client.create_payment(
            refdet="RS-2026-000123", montant=5920, mel="parent@example.org", objet="Facture",
            urlnotif=f"{payfip_receiver.url}/notif", urlredirect=f"{payfip_receiver.url}/retour",
        )
    assert payfip_receiver.requests == []


def test_a_client_refuses_a_bad_numcli_or_saisie():
    with pytest.raises(PayfipInvalidInput):
        PayfipClient(endpoint="http://x/", payment_url="http://x/", numcli="12345", saisie="W")
    with pytest.raises(PayfipInvalidInput):
        PayfipClient(endpoint="http://x/", payment_url="http://x/", numcli="012345", saisie="P")


def test_refdet_is_made_of_letters_and_digits_only():
    assert refdet_from("RS-2026-000123") == "RS2026000123"
    assert refdet_from("RS", "-", 2026, "/", "000123") == "RS2026000123"
    with pytest.raises(PayfipInvalidInput):
        refdet_from("R-1")


def test_objet_is_stripped_of_accents_and_symbols_and_cut_at_100():
    assert normalize_objet("Facture n° 12 — Régie « été »") == "Facture n 12 Regie ete"
    assert normalize_objet("é" * 150) == "e" * 100
    assert len(normalize_objet("mot " * 40)) <= 100


# -- where the simulator may serve ----------------------------------------------------------------
def test_the_simulator_refuses_to_serve_without_debug_or_explicit_permission(backend, payfip_receiver, settings, regie):
    created = start(backend, payfip_receiver)
    settings.DEBUG = False
    settings.PAYFIP_SIMULATOR_ALLOWED = False
    assert http(created.payment_url)[0] == 404
    with pytest.raises(PayfipUnreachable, match="HTTP 404"):
        backend.get_payment_detail(created.idop)
    with pytest.raises(PayfipNotConfigured, match="simulateur"):
        get_backend(regie=regie)
    settings.DEBUG = True
    assert http(created.payment_url)[0] == 200


@pytest.fixture
def reload_urls(settings):
    import config.urls

    def reload():
        clear_url_caches()
        importlib.reload(config.urls)

    yield reload
    settings.PAYMENT_BACKEND = "simulator"
    reload()


def test_the_simulator_urls_exist_only_with_the_simulator_backend(settings, reload_urls):
    settings.PAYMENT_BACKEND = "payfip"
    reload_urls()
    with pytest.raises(Resolver404):
        resolve("/simulateur-payfip/paiement")
    settings.PAYMENT_BACKEND = "simulator"
    reload_urls()
    assert resolve("/simulateur-payfip/paiement").url_name == "payment"
