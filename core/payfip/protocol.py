"""The PayFiP web service as the project describes it: operations, fields, envelopes, faults.

PayFiP speaks SOAP 1.1 document/literal (soapAction ""). Its published WSDL points to schemas
that do not resolve, so this module is our own description of the three operations. The client
and the simulator both build and read envelopes here, so they cannot drift apart.

Requests are written the way PayFiP's adapters send them: the operation element in the service
namespace, `arg0` and its fields unqualified. Answers are read by local name only, because the
namespace of the fields inside `<return>` is not documented (both unqualified and the
`…/reponse` namespace have been seen): a namespace change on PayFiP's side cannot break us.
"""

from dataclasses import dataclass

from lxml import etree

from core.payfip.errors import PayfipProtocolError, fault_from_detail

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
FAULT_KINDS = ("FonctionnelleErreur", "TechDysfonctionnementErreur", "TechIndisponibiliteErreur", "TechProtocolaireErreur")


@dataclass(frozen=True)
class Operation:
    name: str
    request_fields: tuple
    response_fields: tuple


CREER_PAIEMENT = Operation(
    "creerPaiementSecurise",
    ("exer", "mel", "montant", "numcli", "objet", "refdet", "saisie", "urlnotif", "urlredirect"),
    ("idOp",),
)
RECUPERER_DETAIL_PAIEMENT = Operation(
    "recupererDetailPaiementSecurise",
    ("idOp",),
    ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli", "objet", "refdet", "resultrans", "saisie"),
)
RECUPERER_DETAIL_CLIENT = Operation(
    "recupererDetailClient",
    ("numCli",),
    ("libelleN1", "libelleN2", "libelleN3", "numcli"),
)
OPERATIONS = {op.name: op for op in (CREER_PAIEMENT, RECUPERER_DETAIL_PAIEMENT, RECUPERER_DETAIL_CLIENT)}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=False)


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _envelope():
    envelope = etree.Element(etree.QName(SOAP_ENV, "Envelope"), nsmap={"soapenv": SOAP_ENV, "pai": SERVICE_NS})
    etree.SubElement(envelope, etree.QName(SOAP_ENV, "Header"))
    return envelope, etree.SubElement(envelope, etree.QName(SOAP_ENV, "Body"))


def _serialize(envelope):
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _fill(parent, fields, order):
    for name in order:
        value = fields.get(name)
        if value is None or value == "":
            continue
        etree.SubElement(parent, name).text = str(value)


def build_request(operation, fields):
    """The SOAP envelope of a request: <pai:operation><arg0><field>…</field></arg0>."""
    envelope, body = _envelope()
    call = etree.SubElement(body, etree.QName(SERVICE_NS, operation.name))
    _fill(etree.SubElement(call, "arg0"), fields, operation.request_fields)
    return _serialize(envelope)


def build_response(operation, fields):
    """The SOAP envelope of an answer: <pai:operationResponse><return><field>…</field></return>."""
    envelope, body = _envelope()
    answer = etree.SubElement(body, etree.QName(SERVICE_NS, f"{operation.name}Response"))
    _fill(etree.SubElement(answer, "return"), fields, operation.response_fields)
    return _serialize(envelope)


def build_fault(*, code, descriptif, libelle, severite="2", kind="FonctionnelleErreur"):
    """A SOAP fault shaped like PayFiP's: faultstring names the Java exception, detail holds the code."""
    envelope, body = _envelope()
    fault = etree.SubElement(body, etree.QName(SOAP_ENV, "Fault"))
    etree.SubElement(fault, "faultcode").text = "soapenv:Server"
    etree.SubElement(fault, "faultstring").text = f"fr.gouv.finances.cp.tpa.webservice.exceptions.{kind}"
    detail = etree.SubElement(etree.SubElement(fault, "detail"), etree.QName(SERVICE_NS, kind))
    for name, value in (("code", code), ("descriptif", descriptif), ("libelle", libelle), ("severite", severite)):
        etree.SubElement(detail, name).text = value
    return _serialize(envelope)


def _parse(content):
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PayfipProtocolError(f"XML illisible ({exc})") from exc
    if _local(root.tag) != "Envelope":
        raise PayfipProtocolError("pas d'enveloppe SOAP")
    body = next((child for child in root if _local(child.tag) == "Body"), None)
    if body is None or not len(body):
        raise PayfipProtocolError("enveloppe SOAP sans corps")
    return body[0]


def _texts(element):
    return {_local(child.tag): (child.text or "").strip() for child in element if _local(child.tag)}


def is_soap_envelope(content):
    try:
        _parse(content)
    except PayfipProtocolError:
        return False
    return True


def parse_request(content):
    """(operation, fields) of a request envelope; used by the simulator."""
    call = _parse(content)
    operation = OPERATIONS.get(_local(call.tag))
    if operation is None:
        raise PayfipProtocolError(f"opération inconnue : {_local(call.tag)}")
    arg0 = next((child for child in call if _local(child.tag) == "arg0"), None)
    if arg0 is None:
        return operation, {}
    # PayFiP's schemas leave arg0 and its fields unqualified: it refuses them in its own namespace.
    qualified = [_local(e.tag) for e in (arg0, *arg0) if isinstance(e.tag, str) and etree.QName(e).namespace]
    if qualified:
        raise PayfipProtocolError(f"éléments qualifiés par un espace de noms, attendus sans : {', '.join(qualified)}")
    return operation, _texts(arg0)


def parse_response(operation, content):
    """The fields of `<return>` of an answer, or the typed exception of its fault (raised)."""
    element = _parse(content)
    if _local(element.tag) == "Fault":
        raise _fault_exception(element)
    if _local(element.tag) != f"{operation.name}Response":
        raise PayfipProtocolError(f"réponse inattendue {_local(element.tag)} à {operation.name}")
    result = next((child for child in element if _local(child.tag) == "return"), None)
    if result is None:
        raise PayfipProtocolError(f"réponse à {operation.name} sans <return>")
    return _texts(result)


def _fault_exception(fault):
    fields = _texts(fault)
    detail = next((child for child in fault if _local(child.tag) == "detail"), None)
    payload = None
    if detail is not None:
        payload = next((child for child in detail.iter() if _local(child.tag) in FAULT_KINDS), None)
    if payload is None:
        faultstring = fields.get("faultstring", "")
        return fault_from_detail(kind="Inconnue", code="", descriptif=faultstring)
    texts = {_local(e.tag): (e.text or "").strip() for e in payload.iter() if e is not payload}
    return fault_from_detail(
        kind=_local(payload.tag),
        code=texts.get("code", ""),
        descriptif=texts.get("descriptif", ""),
        libelle=texts.get("libelle", ""),
        severite=texts.get("severite", ""),
    )
