"""The PayFiP simulator's SOAP answers, called in process with a chosen `now`: results PayFiP learns
late (P5 or A first), purged operations (P1), and requests shaped as the real service wants them."""

import datetime

import pytest
from django.utils import timezone

from core.payfip import protocol
from core.payfip.errors import PayfipFault, PayfipProtocolError, ResultNotYetKnown, UnknownOperation
from core.payfip_simulator import simulator

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2027, 1, 12, 10, 0))
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def enabled(settings):
    settings.PAYMENT_BACKEND = "simulator"
    settings.PAYFIP_SIMULATOR_ALLOWED = True
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "drop"


def soap(operation, fields, *, now):
    status, content = simulator.handle_soap(protocol.build_request(operation, fields), now=now)
    return protocol.parse_response(operation, content)  # raises the fault's exception


def create(*, now=START):
    return soap(protocol.CREER_PAIEMENT, {
        "numcli": "012345", "saisie": "T", "exer": "2027", "refdet": "RS2027000123", "montant": "5920",
        "mel": "parent@example.org", "objet": "Facture RS 2027 000123", "urlnotif": "http://127.0.0.1:9/notif",
        "urlredirect": "http://127.0.0.1:9/retour",
    }, now=now)["idOp"]


def detail(idop, *, now):
    return soap(protocol.RECUPERER_DETAIL_PAIEMENT, {"idOp": idop}, now=now)


def test_a_result_known_late_answers_p5_until_then():
    idop = create()
    simulator.operation_conclude(idop=idop, resultrans="P", late_by=30 * MINUTE, now=START + 2 * MINUTE)

    with pytest.raises(ResultNotYetKnown):
        detail(idop, now=START + 25 * MINUTE)
    answer = detail(idop, now=START + 33 * MINUTE)
    assert answer["resultrans"] == "P" and answer["numauto"]
    assert (answer["dattrans"], answer["heurtrans"]) == ("12012027", "1032")


def test_an_abandoned_operation_can_become_paid():
    idop = create()
    simulator.operation_conclude(idop=idop, resultrans="P", late_by=10 * MINUTE, interim="A", now=START + MINUTE)

    first = detail(idop, now=START + 5 * MINUTE)
    assert first["resultrans"] == "A" and "numauto" not in first
    assert detail(idop, now=START + 12 * MINUTE)["resultrans"] == "P"


def test_an_expired_operation_answers_p5_then_p1_after_its_purge():
    idop = create()
    with pytest.raises(ResultNotYetKnown):
        detail(idop, now=START + 40 * MINUTE)  # never paid, past its 15 minutes: result not known

    simulator.operation_purge(idop=idop, now=START + 60 * MINUTE)

    with pytest.raises(ResultNotYetKnown):
        detail(idop, now=START + 50 * MINUTE)
    with pytest.raises(UnknownOperation):
        detail(idop, now=START + 61 * MINUTE)


def test_a_concluded_operation_cannot_be_concluded_again_late():
    idop = create()
    simulator.operation_conclude(idop=idop, resultrans="R", now=START + MINUTE)
    _, concluded = simulator.operation_conclude(idop=idop, resultrans="P", late_by=MINUTE, now=START + 2 * MINUTE)
    assert not concluded
    assert detail(idop, now=START + 5 * MINUTE)["resultrans"] == "R"


def test_the_client_detail_carries_the_numcli():
    answer = soap(protocol.RECUPERER_DETAIL_CLIENT, {"numCli": "012345"}, now=START)
    assert answer["numcli"] == "012345"


QUALIFIED_ARG0 = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pai="{protocol.SERVICE_NS}">
<soapenv:Body><pai:recupererDetailClient><pai:arg0><numCli>012345</numCli></pai:arg0></pai:recupererDetailClient>
</soapenv:Body></soapenv:Envelope>""".encode()
QUALIFIED_FIELD = QUALIFIED_ARG0.replace(b"<pai:arg0><numCli>012345</numCli></pai:arg0>",
                                         b"<arg0><pai:numCli>012345</pai:numCli></arg0>")


@pytest.mark.parametrize("request_body", [QUALIFIED_ARG0, QUALIFIED_FIELD], ids=["arg0", "field"])
def test_fields_in_the_service_namespace_are_refused_like_payfip_does(request_body):
    status, content = simulator.handle_soap(request_body, now=START)

    assert status == 500
    with pytest.raises(PayfipFault) as raised:
        protocol.parse_response(protocol.RECUPERER_DETAIL_CLIENT, content)
    assert (raised.value.code, raised.value.kind) == ("ST", "TechProtocolaireErreur")
    with pytest.raises(PayfipProtocolError):
        protocol.parse_request(request_body)


def test_unqualified_fields_are_read():
    request_body = QUALIFIED_ARG0.replace(b"pai:arg0", b"arg0")
    assert protocol.parse_request(request_body) == (protocol.RECUPERER_DETAIL_CLIENT, {"numCli": "012345"})
