"""Cell widgets shared by the spreadsheet import and the exports."""

from import_export import widgets

YES = {"oui", "o", "1", "vrai", "true", "x"}
NO = {"non", "n", "0", "faux", "false", ""}


class OuiNonWidget(widgets.BooleanWidget):
    """oui / non in French spreadsheets (1/0 and true/false accepted too)."""

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(f"« {value} » : attendu oui ou non.")

    def render(self, value, obj=None, **kwargs):
        return "oui" if value else "non"
