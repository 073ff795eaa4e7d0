"""Form fields shared by the portal and the admin (which never import each other)."""

from django import forms
from django.core.exceptions import ValidationError

from core.services.documents import ACCEPT_ATTRIBUTE, ALLOWED_LABEL, MAX_DOCUMENT_BYTES, DocumentError
from core.services.messages import MAX_ATTACHMENTS, message_files_check


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MessageFilesField(forms.FileField):
    """Several files joined to a message, checked by `message_files_check` (the documents' rule)
    so that a refused file is named in the form and the text typed stays in it."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Pièces jointes (facultatif)")
        kwargs.setdefault("help_text", f"{ALLOWED_LABEL}, {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo au plus par fichier, "
                                       f"{MAX_ATTACHMENTS} fichiers au plus.")
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE, "multiple": True}))
        super().__init__(required=False, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        files = [super(MessageFilesField, self).clean(f, initial) for f in files if f]
        try:
            message_files_check(files)
        except DocumentError as error:
            raise ValidationError(f"{error} Votre message n'est pas perdu : choisissez de nouveau vos fichiers, "
                                  "puis envoyez.") from error
        return files
