"""The portal's main navigation, defined once.

Pages of other areas add their entry with `register(...)` from their app's `ready()` or module
import, e.g. ``register(NavItem("factures", "Factures et paiements", "portail:invoices", 30))``; an
entry only shows once its pages exist, so there is never a placeholder tab.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from core.services.public_pages import accessibility_status


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
register(NavItem("messages", "Messages", "portail:messages", 35))
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


# The pages the law requires, linked from every page's footer (core.models.PublicPage.Slug).
FOOTER_LINKS = (
    ("Accessibilité : {status}", "portail:accessibility"),
    ("Mentions légales", "portail:legal_notice"),
    ("Données personnelles", "portail:privacy"),
    ("Plan du site", "portail:sitemap"),
)


def footer_links():
    status = accessibility_status()
    return [{"label": label.format(status=status), "url": reverse(url_name)} for label, url_name in FOOTER_LINKS]


def site_map(*, logged_in):
    """« Plan du site »: the main navigation (every entry, whoever reads it), the account pages
    and the footer's pages, each section a list of {label, url}."""
    main = [
        {"label": item.label, "url": reverse(item.url_name)}
        for item in sorted(_ITEMS.values(), key=lambda i: i.order)
        if _reversible(item.url_name)
    ]
    if logged_in:
        account = [("Changer d'adresse email", "portail:email_change"), ("Changer de mot de passe", "portail:password_change")]
    else:
        account = [("Connexion", "portail:login"), ("Mot de passe oublié", "portail:password_reset")]
    return [
        {"title": "Espace Famille", "links": main},
        {"title": "Mon compte", "links": [{"label": label, "url": reverse(name)} for label, name in account]},
        {"title": "Informations", "links": footer_links()},
    ]


def _reversible(url_name):
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True
