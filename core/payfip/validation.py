"""PayFiP's constraints on what we send, checked before anything leaves the server."""

import re
import unicodedata

from core.payfip.errors import PayfipInvalidInput

REFDET_RE = re.compile(r"^[A-Za-z0-9]{6,30}$")
NUMCLI_RE = re.compile(r"^\d{6}$")
EXER_RE = re.compile(r"^\d{4}$")
MEL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SAISIES = {"T": "test", "X": "activation", "W": "production"}
MONTANT_MIN = 100  # 1 €
MONTANT_MAX = 10_000_000  # 100 000 €, the largest amount seen in adapters
OBJET_MAX = 100
MEL_MIN, MEL_MAX = 6, 80


def refdet_from(*parts):
    """A refdet made of our own references: letters and digits only (never a hyphen)."""
    refdet = re.sub(r"[^A-Za-z0-9]", "", "".join(str(part) for part in parts))
    return clean_refdet(refdet)


def clean_refdet(refdet):
    if not isinstance(refdet, str) or not REFDET_RE.match(refdet):
        raise PayfipInvalidInput(
            "refdet",
            f"Référence de dette invalide ({refdet!r}) : 6 à 30 lettres ou chiffres, sans tiret ni espace.",
        )
    return refdet


def normalize_objet(objet):
    """The label as PayFiP accepts it: accents stripped, [A-Za-z0-9 ] only, at most 100 characters."""
    text = unicodedata.normalize("NFKD", objet or "").encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9 ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:OBJET_MAX].rstrip()


def clean_mel(mel):
    mel = (mel or "").strip()
    if not (MEL_MIN <= len(mel) <= MEL_MAX) or not MEL_RE.match(mel):
        raise PayfipInvalidInput(
            "mel", f"Adresse électronique invalide pour PayFiP ({mel!r}) : de {MEL_MIN} à {MEL_MAX} caractères."
        )
    return mel


def clean_montant(montant):
    if isinstance(montant, bool) or not isinstance(montant, int):
        raise PayfipInvalidInput("montant", f"Le montant doit être un nombre entier de centimes, pas {montant!r}.")
    if not MONTANT_MIN <= montant <= MONTANT_MAX:
        raise PayfipInvalidInput(
            "montant", f"Montant hors limites ({montant} centimes) : de 1 € à {MONTANT_MAX // 100:,} €.".replace(",", " ")
        )
    return montant


def clean_numcli(numcli):
    if not isinstance(numcli, str) or not NUMCLI_RE.match(numcli):
        raise PayfipInvalidInput("numcli", f"Identifiant PayFiP (numcli) invalide ({numcli!r}) : 6 chiffres.")
    return numcli


def clean_exer(exer):
    exer = str(exer)
    if not EXER_RE.match(exer):
        raise PayfipInvalidInput("exer", f"Exercice invalide ({exer!r}) : une année sur 4 chiffres.")
    return exer


def clean_saisie(saisie):
    if saisie not in SAISIES:
        raise PayfipInvalidInput("saisie", f"Mode de saisie PayFiP invalide ({saisie!r}) : T, X ou W.")
    return saisie


def clean_url(field, url):
    if not isinstance(url, str) or not re.match(r"^https?://[^\s]+$", url) or len(url) > 500:
        raise PayfipInvalidInput(field, f"Adresse de retour invalide pour {field} ({url!r}).")
    return url
