"""Form rendering helpers for the portal's templates."""

from django import template

register = template.Library()


@register.filter
def field_group_in_error(bound_field, summary_id):
    """The field group of a form whose error is about the whole form (« Adresse email ou mot de
    passe incorrect. »): the field is marked invalid and described by the error summary too
    (RGAA 11.10), and gives up its autofocus to the summary, which takes focus instead."""
    attrs = bound_field.field.widget.attrs
    described_by = [summary_id, *(bound_field.aria_describedby or "").split()]
    attrs.pop("autofocus", None)
    attrs["aria-invalid"] = "true"
    attrs["aria-describedby"] = " ".join(described_by)
    return bound_field.as_field_group()
