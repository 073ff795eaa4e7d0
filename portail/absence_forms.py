"""The medical certificate of an absence: the file field shared by the declaration form and the
page where a parent adds it later. The file's rules are core.services.documents'."""

from django import forms

from core.services.documents import ACCEPT_ATTRIBUTE, ALLOWED_LABEL, MAX_DOCUMENT_BYTES


def certificate_field(*, required=False):
    return forms.FileField(
        label="Certificat médical" + ("" if required else " (si demandé)"), required=required,
        help_text=f"{ALLOWED_LABEL}, {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo au plus. Sur un téléphone, vous pouvez "
        "photographier le certificat.",
        error_messages={"required": "Choisissez le fichier du certificat médical."},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )


class AbsenceCertificateForm(forms.Form):
    """Add the certificate of a declaration already made."""

    certificate = certificate_field(required=True)
