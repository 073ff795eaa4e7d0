"""The portal's main navigation, defined once.

Pages of other areas add their entry with `register(...)` from their app's `ready()` or module
import, e.g. ``register(NavItem("factures", "Factures et paiements", "portail:invoices", 30))``; an
entry only shows once its pages exist, so there is never a placeholder tab.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    order: int
    needs_household: bool = True


_ITEMS = {}


def register(item):
    _ITEMS[item.key] = item
    return item


register(NavItem("actualites", "Actualités", "portail:home", 10, needs_household=False))
register(NavItem("espace-famille", "Espace Famille", "portail:reservations", 20))
register(NavItem("foyer", "Gestion du foyer", "portail:household", 40))


def navigation(*, active=None, has_household=True):
    """The entries to show, in order, each with its URL and whether it is the current section;
    a login without a household (a staff agent) only gets the entries that need none."""
    entries = []
    for item in sorted(_ITEMS.values(), key=lambda i: i.order):
        if item.needs_household and not has_household:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entries.append({"key": item.key, "label": item.label, "url": url, "active": item.key == active})
    return entries
