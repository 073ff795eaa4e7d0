from django import forms
from django.core.exceptions import ValidationError
from django.db import models


class ChoiceSetField(models.CharField):
    """A set of choices stored as one comma-separated column (e.g. weekdays "0,1,3,4", grades
    "PS,MS,GS"): readable in the database, edited as checkboxes in forms."""

    def __init__(self, *args, item_choices=(), coerce=str, **kwargs):
        self.item_choices = list(item_choices)
        self.coerce = coerce
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["item_choices"] = self.item_choices
        if self.coerce is not str:
            kwargs["coerce"] = self.coerce
        return name, path, args, kwargs

    def _order(self, values):
        keys = [key for key, _ in self.item_choices]
        return sorted({self.coerce(v) for v in values}, key=keys.index)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None:
            return []
        if isinstance(value, (list, tuple, set)):
            return self._order(value)
        return self._order(part for part in str(value).split(",") if part)

    def get_prep_value(self, value):
        return ",".join(str(v) for v in self.to_python(value))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        keys = {key for key, _ in self.item_choices}
        unknown = [v for v in value if v not in keys]
        if unknown:
            raise ValidationError(f"Valeur(s) inconnue(s) : {', '.join(map(str, unknown))}.")
        if not value and not self.blank:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.item_choices,
            "coerce": self.coerce,
            "required": not self.blank,
            "label": self.verbose_name.capitalize() if self.verbose_name else None,
            "help_text": self.help_text,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        # Bypass CharField.formfield, which would force a CharField form field.
        return forms.TypedMultipleChoiceField(**{k: v for k, v in defaults.items() if k != "form_class"})
