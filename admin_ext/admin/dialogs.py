"""The dialogs of admin actions staff confirm before they run (unfold's `@action(dialog=…)`),
shared by every admin module."""

from unfold.forms import BaseDialogForm


class ConfirmForm(BaseDialogForm):
    pass


def confirm_dialog(title, submit, description=None, form_class=ConfirmForm):
    """The dialog of an action staff confirm before it runs (unfold's `@action(dialog=…)`)."""
    dialog = {"title": title, "form_class": form_class, "form_submit_text": submit}
    if description:
        dialog["description"] = description
    return dialog
