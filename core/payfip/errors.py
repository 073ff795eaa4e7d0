"""What can go wrong when talking to PayFiP, as typed exceptions with French messages.

- PayfipInvalidInput: our own data breaks a PayFiP constraint; nothing was sent.
- PayfipUnreachable: no usable answer (network error, timeout, HTTP error without a SOAP
  envelope); worth retrying later.
- PayfipProtocolError: an answer came but could not be understood.
- PayfipFault: PayFiP answered with a SOAP fault; the known codes have their own subclass.
"""


class PayfipError(Exception):
    """Base class of every PayFiP error; str() is a French message fit for staff."""

    retryable = False


class PayfipInvalidInput(PayfipError, ValueError):
    def __init__(self, field, message):
        self.field = field
        super().__init__(message)


class PayfipUnreachable(PayfipError):
    retryable = True

    def __init__(self, detail=""):
        self.detail = detail
        message = "PayFiP est injoignable pour le moment."
        super().__init__(f"{message} ({detail})" if detail else message)


class PayfipProtocolError(PayfipError):
    def __init__(self, detail):
        self.detail = detail
        super().__init__(f"Réponse de PayFiP incompréhensible : {detail}")


class PayfipFault(PayfipError):
    """A SOAP fault from PayFiP (FonctionnelleErreur or one of the technical errors)."""

    default_message = "PayFiP a refusé la demande."

    def __init__(self, *, code="", descriptif="", libelle="", severite="", kind="FonctionnelleErreur"):
        self.code = code
        self.descriptif = descriptif
        self.libelle = libelle
        self.severite = severite
        self.kind = kind
        details = " — ".join(part for part in (descriptif, libelle) if part)
        prefix = f"{self.default_message} (code {code or 'inconnu'})"
        super().__init__(f"{prefix} : {details}" if details else prefix)


class InvalidRefdet(PayfipFault):
    default_message = "PayFiP refuse la référence de la dette (refdet)."


class InvalidEmail(PayfipFault):
    default_message = "PayFiP refuse l'adresse électronique du payeur."


class UnknownOperation(PayfipFault):
    default_message = "PayFiP ne connaît pas cette opération (idop inconnu ou purgé)."


class ResultNotYetKnown(PayfipFault):
    default_message = "Le résultat du paiement n'est pas encore connu de PayFiP."


class PayfipTechnicalFault(PayfipFault):
    """TechDysfonctionnementErreur, TechIndisponibiliteErreur, TechProtocolaireErreur."""

    default_message = "PayFiP signale une erreur technique."
    retryable = True


FAULTS_BY_CODE = {
    "R3": InvalidRefdet,
    "A2": InvalidEmail,
    "P1": UnknownOperation,
    "P5": ResultNotYetKnown,
}


def fault_from_detail(*, kind, code, descriptif="", libelle="", severite=""):
    """The exception for a fault detail: technical kinds first, then the known codes."""
    if kind.startswith("Tech"):
        cls = PayfipTechnicalFault
    else:
        cls = FAULTS_BY_CODE.get(code, PayfipFault)
    return cls(code=code, descriptif=descriptif, libelle=libelle, severite=severite, kind=kind)


class PayfipNotConfigured(PayfipError):
    """The régie or the settings lack what PayFiP needs (numcli, backend)."""
