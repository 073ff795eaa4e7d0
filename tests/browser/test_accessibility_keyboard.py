"""The parent's journey with the keyboard alone (Tab, Shift+Tab, Enter, Space; no clicks), on a
desktop and on a phone, checking after each step where the focus is and what a screen reader names
it — the RGAA 4.1 checks that axe cannot make: the child in every cell's name (11.9), the result of
« Valider le panier » announced (7.5), the phone's basket button in the tab order and never over the
focused element (12.8, 10.7), a refused day's message tied to its cell (11.10), focus after a change
of week, a toggle button with a stable name, the login errors.

The server's clock is frozen on Monday 30 November 2026 at 09:00 (Paris): Thursday 3 and Friday 4
December are open, Monday 30 and Tuesday 1 are past their deadline."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.models import Booking, Payment
from core.services.deadlines import PARIS
from tests import factories
from tests.browser.conftest import ARTIFACTS, assert_no_serious_axe_violations, screenshot

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)
MAX_TABS = 80

# At DOMContentLoaded, before the page's own scripts react to it: what the live region says then.
RECORD_LIVE_REGION_AT_LOAD = """
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("annonce");
  window.liveRegionAtLoad = region ? region.textContent : null;
});
"""


pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def invoice(family, town, live_server, settings, transactional_db, media_root):
    settings.SITE_URL = live_server.url
    invoice = factories.InvoiceFactory(
        regie=town.regie, household=family.household, total=Decimal("59.20"), payer_name="M TEST Deux",
        due_date=datetime.date(2026, 12, 15), period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
    )
    return factories.attach_pdf(invoice)


# --- What assistive technologies are told ---------------------------------------------------------


def focused(page):
    """(role, accessible name) of the focused element, from the browser's accessibility tree."""
    marked = page.evaluate(
        """() => {
            document.querySelectorAll("[data-focus-probe]").forEach((e) => e.removeAttribute("data-focus-probe"));
            const e = document.activeElement;
            if (!e || e === document.body) return "body";
            e.setAttribute("data-focus-probe", "");
            return e.tagName === "SUMMARY" ? "summary" : "element";
        }"""
    )
    if marked == "body":
        return ("body", "")
    if marked == "summary":  # Playwright's snapshot gives a <summary> no role: it is a disclosure button
        return ("summary", page.locator("[data-focus-probe]").inner_text().strip())
    first_line = page.locator("[data-focus-probe]").aria_snapshot(timeout=2_000).splitlines()[0]
    entry = first_line.removeprefix("- ").removesuffix(":")
    if entry.startswith("'"):  # YAML quotes an entry holding ": "
        entry = entry[1:-1].replace("''", "'")
    match = re.match(r'^([\w-]+)(?: "((?:[^"\\]|\\.)*)")?', entry)
    assert match, first_line
    return (match.group(1), (match.group(2) or "").replace('\\"', '"'))


def assert_focus(page, role, name):
    """The focused element has this role and this name (a string, or a pattern to match fully)."""
    actual_role, actual_name = focused(page)
    matches = re.fullmatch(name, actual_name) if isinstance(name, re.Pattern) else actual_name == name
    assert actual_role == role and matches, f"focus on {actual_role} {actual_name!r}, expected {role} {name!r}"


def tab_to(page, role, name, back=False):
    """Press Tab (or Shift+Tab) until the focus reaches role/name; returns what was met on the way.
    On the portal's pages each stop must show a focus ring and be clear of the basket button."""
    met = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        current = focused(page)
        met.append(current)
        if current[0] != "body" and "simulateur-payfip" not in page.url:
            ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert ring != "none", f"no focus ring on {current}"
            assert_focus_not_covered(page)
        if current == (role, name):
            return met
    raise AssertionError(f"{role} {name!r} never reached; met {met}")


def fab_rect(page):
    return page.evaluate(
        """() => { const fab = document.querySelector('.basket-fab');
                   if (!fab || getComputedStyle(fab).display === 'none') return null;
                   const r = fab.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""
    )


def assert_focus_not_covered(page):
    """The floating basket button covers no part of the focused element (RGAA 10.7 / WCAG 2.4.11)."""
    fab = fab_rect(page)
    if fab is None:
        return
    element = page.evaluate(
        """() => { const e = document.activeElement;
                   if (!e || e === document.body || e.classList.contains('basket-fab')) return null;
                   const r = e.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""
    )
    if element is None:
        return
    overlap = not (
        element["right"] <= fab["left"] or element["left"] >= fab["right"]
        or element["bottom"] <= fab["top"] or element["top"] >= fab["bottom"]
    )
    assert not overlap, f"the basket button {fab} covers the focused {focused(page)} at {element}"


def luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(first, second):
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css_color):
    return tuple(int(v) for v in re.findall(r"\d+", css_color)[:3])


# --- The journey -----------------------------------------------------------------------------------


def log_in_with_the_keyboard(page, invoice):
    page.goto("/connexion/")
    assert_focus(page, "textbox", re.compile(r"Adresse email.*"))  # the field has the focus on arrival
    page.keyboard.type("parent@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("pas le bon mot de passe")
    page.keyboard.press("Enter")

    # A wrong password: the error summary takes focus and is read; the fields say they are invalid.
    expect(page).to_have_title("Erreur – Connexion — Espace Famille")
    expect(page.locator("#erreurs-formulaire")).to_be_focused()
    assert_focus(page, "group", "Adresse email ou mot de passe incorrect.")
    email = page.get_by_label(re.compile(r"^Adresse email"))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("Adresse email ou mot de passe incorrect."))
    expect(page.get_by_label(re.compile(r"^Mot de passe"))).to_have_attribute("aria-invalid", "true")
    assert_no_serious_axe_violations(page)
    tab_to(page, "textbox", "Mot de passe :")
    page.keyboard.type(factories.DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    page.keyboard.press("Tab")
    assert_focus(page, "link", "Aller au contenu")


def book_two_children_and_change_week(page, device):
    tab_to(page, "link", "Espace Famille")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/espace-famille/$"))
    expect(page).to_have_title("Mes réservations, semaine du 30/11/2026 au 04/12/2026 — Espace Famille")

    met = tab_to(page, "button", "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé")
    if device == "phone":  # the basket button comes before the grid, after the week's navigation
        names = [name for _, name in met]
        assert names.index("Voir le panier : 0 changement") == names.index("Semaine suivante") + 1
    page.keyboard.press("Space")
    junior_thursday = "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé, réservation dans le panier"
    expect(page.get_by_role("button", name=junior_thursday, exact=True)).to_be_visible()
    assert_focus(page, "button", junior_thursday)  # focus stays on the cell, renamed
    expect(page.locator("#annonce")).to_have_text(junior_thursday)  # and the change is announced

    tab_to(page, "button", "Lise TEST, Repas primaire, jeudi 3 décembre : non réservé")
    page.keyboard.press("Enter")
    lise_thursday = "Lise TEST, Repas primaire, jeudi 3 décembre : non réservé, réservation dans le panier"
    expect(page.get_by_role("button", name=lise_thursday, exact=True)).to_be_visible()
    assert_focus(page, "button", lise_thursday)
    expect(page.locator("#annonce")).to_have_text(lise_thursday)
    screenshot(page, f"keyboard-booked-{device}")

    # Next week: focus lands on the week's heading, and the title names the week.
    tab_to(page, "link", "Semaine suivante", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"date=2026-12-07#semaine-titre$"))
    expect(page).to_have_title("Mes réservations, semaine du 07/12/2026 au 11/12/2026 — Espace Famille")
    assert_focus(page, "heading", "Semaine du 07/12/2026 au 11/12/2026")
    met = tab_to(page, "button", "Junior TEST, Repas maternelle, lundi 7 décembre : non réservé")
    assert met[0] == ("link", "Semaine suivante"), met  # Tab goes on from the heading, not from the page's top


def validate_the_basket(page, device):
    if device == "phone":
        # The basket button, then Enter: focus on the basket's heading.
        tab_to(page, "link", "Voir le panier : 2 changements", back=True)
        page.keyboard.press("Enter")
        assert_focus(page, "heading", "Mon panier (2)")
        expect(page.locator("#panier-titre")).to_be_in_viewport()
    basket_line = "Retirer du panier : Lise TEST, Repas primaire, jeudi 3 décembre : réservation"
    met = tab_to(page, "button", "Valider le panier")
    assert ("button", basket_line) in met  # every basket line names the child
    page.add_init_script(RECORD_LIVE_REGION_AT_LOAD)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"#bilan$"))
    summary = "Panier validé : 2 réservations enregistrées. Un email de confirmation vous a été envoyé."
    expect(page).to_have_title("Panier validé – Mes réservations, semaine du 07/12/2026 au 11/12/2026 — Espace Famille")
    assert_focus(page, "region", "Validation du panier du 30/11/2026 à 09h00")
    expect(page.locator("#bilan")).to_have_accessible_description(summary)
    # The live region was empty at load and says the result afterwards: screen readers read it.
    expect(page.locator("#annonce")).to_have_text(summary)
    assert page.evaluate("window.liveRegionAtLoad") == ""
    assert Booking.objects.filter(status="booked").count() == 2
    screenshot(page, f"keyboard-validated-{device}")
    assert_no_serious_axe_violations(page)


def pay_the_invoice(page, device, invoice):
    tab_to(page, "link", "Factures et paiements", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/factures/$"))
    select = f"Sélectionner la facture n° {invoice.number}"
    tab_to(page, "button", select)
    expect(page.locator("[data-focus-probe]")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/factures/#selection-facture-\d+$"))
    assert_focus(page, "button", select)  # the same name: only its state changed
    expect(page.locator("[data-focus-probe]")).to_have_attribute("aria-pressed", "true")
    screenshot(page, f"keyboard-invoice-selected-{device}")
    assert_no_serious_axe_violations(page)
    if device == "phone":
        tab_to(page, "link", "Panier : 59,20 €", back=True)
        page.keyboard.press("Enter")
        assert_focus(page, "heading", "Panier")
    tab_to(page, "button", "Payer")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Informations sur la dette")).to_be_visible()
    tab_to(page, "button", "Payer par carte bancaire")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Informations de la carte")).to_be_visible()
    tab_to(page, "button", "Valider")  # the simulator's defaults: a valid card, paid
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/paiements/[0-9a-f-]{36}/retour/"))
    expect(page).to_have_title("Paiement accepté – Résultat du paiement — Espace Famille")
    assert_focus(page, "region", "Paiement accepté")
    assert_no_serious_axe_violations(page)
    tab_to(page, "link", "Voir mes factures archivées")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/factures/archivees/$"))
    expect(page.locator(f"#facture-{invoice.pk}").get_by_text("PAYÉE")).to_be_visible()
    assert Payment.objects.get().status == Payment.Status.PAID


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_whole_journey_with_the_keyboard_alone(request, device, family, invoice):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    log_in_with_the_keyboard(page, invoice)
    book_two_children_and_change_week(page, device)
    validate_the_basket(page, device)
    pay_the_invoice(page, device, invoice)


# --- The grid, the basket button, a refused day, validation without JavaScript ----------------------


def open_week(page):
    from tests.browser.conftest import log_in

    log_in(page)
    page.goto("/espace-famille/")
    page.wait_for_load_state("load")  # reservations.js (deferred) is listening


def grid_button_names(page):
    snapshot = page.locator("#grille").aria_snapshot()
    return [
        entry[1:-1].replace("''", "'") if entry.startswith("'") else entry
        for entry in (line.strip().removeprefix("- ") for line in snapshot.splitlines())
        if entry.lstrip("'").startswith("button ")
    ]


def test_a_two_child_households_cells_all_have_distinct_names(page, family, town, transactional_db):
    junior, lise = family.children
    factories.EnrolmentFactory(child=junior, activity=town.garderie_soir, school_year=town.school_year)  # both at Garderie soir
    open_week(page)
    names = grid_button_names(page)
    assert len(names) == page.locator("#grille button.slot").count() == 16  # 2 rows × 4 days each (no Wednesday)
    assert len(set(names)) == len(names), sorted(names)
    assert all(re.match(r'button "(Junior|Lise) TEST, ', name) for name in names), names
    for child in ("Junior TEST", "Lise TEST"):
        expect(page.get_by_role("button", name=f"{child}, Garderie soir, jeudi 3 décembre : non réservé", exact=True)).to_have_count(1)


def test_a_refused_day_is_described_on_its_cell(page, family, town, transactional_db):
    open_week(page)
    tab_to(page, "button", "Junior TEST, Repas maternelle, jeudi 3 décembre : non réservé")
    # Meanwhile the town hall closes the Thursday: the booking API refuses the change.
    factories.ClosureFactory(name="Grève", kind="other", start_date=datetime.date(2026, 12, 3), end_date=datetime.date(2026, 12, 3))
    page.keyboard.press("Enter")
    error = page.locator("#erreur-grille")
    expect(error).to_be_visible()
    message = error.inner_text()
    assert "Junior" in message and "Grève" in message
    closed = "Junior TEST, Repas maternelle, jeudi 3 décembre : fermé (Grève)"
    expect(page.get_by_role("button", name=closed, exact=True)).to_be_visible()
    assert_focus(page, "button", closed)  # focus back on the cell…
    expect(page.locator("[data-focus-probe]")).to_have_accessible_description(message)  # …which tells why
    assert_no_serious_axe_violations(page)
    expect(error).to_have_attribute("role", "alert")


def test_the_phone_basket_button_covers_no_focused_element_and_its_ring_contrasts(phone_page, family, transactional_db):
    page = phone_page
    open_week(page)
    # Every stop of the page, down to the legend and the basket, is clear of the floating button.
    met = tab_to(page, "summary", "Que signifient les symboles ?")
    assert len(met) > 20
    page.keyboard.press("Enter")  # the legend opens
    page.keyboard.press("Tab")
    assert_focus_not_covered(page)

    # The page scrolled (arrow keys) so that the next cell sits under the button: Tab brings it clear.
    thursday = "Lise TEST, Garderie soir, jeudi 3 décembre : non réservé"
    friday = page.get_by_role("button", name="Lise TEST, Garderie soir, vendredi 4 décembre : non réservé", exact=True)
    tab_to(page, "button", thursday, back=True)
    fab = fab_rect(page)
    page.evaluate(f"window.scrollBy(0, {friday.bounding_box()['y'] - fab['top'] - 4})")
    box = friday.bounding_box()
    assert box["y"] < fab["bottom"] and box["y"] + box["height"] > fab["top"] and box["x"] + box["width"] > fab["left"]
    page.keyboard.press("Tab")
    assert_focus(page, "button", "Lise TEST, Garderie soir, vendredi 4 décembre : non réservé")
    assert_focus_not_covered(page)

    tab_to(page, "link", "Voir le panier : 0 changement", back=True)
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {outline: s.outlineColor, width: s.outlineWidth, style: s.outlineStyle,
                           page: getComputedStyle(document.body).backgroundColor}; }"""
    )
    assert style["style"] == "solid" and float(style["width"].removesuffix("px")) >= 2
    assert contrast(rgb(style["outline"]), rgb(style["page"])) >= 3, style
    assert contrast(rgb(style["outline"]), (255, 255, 255)) >= 3, style  # on a card too
    page.screenshot(path=str(ARTIFACTS / "keyboard-phone-basket-button-focused.png"))
    page.keyboard.press("Enter")
    assert_focus(page, "heading", "Mon panier")
    expect(page.locator("#panier-titre")).to_be_in_viewport()
    assert_no_serious_axe_violations(page)


def test_the_validation_is_announced_without_javascript(chromium, live_server, family, transactional_db):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False, viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        open_week(page)
        tab_to(page, "button", "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#jour-\d+-\d+-2026-12-04$"))
        pending = "Junior TEST, Repas maternelle, vendredi 4 décembre : non réservé, réservation dans le panier"
        assert_focus(page, "button", pending)  # the page comes back on the cell, which says what happened
        expect(page.locator("[data-focus-probe]")).to_have_accessible_description(
            "Réservation ajoutée au panier : Junior TEST, Repas maternelle, vendredi 4 décembre."
        )
        tab_to(page, "button", "Valider le panier")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#bilan$"))
        expect(page).to_have_title(re.compile(r"^Panier validé – Mes réservations, semaine du 30/11/2026"))
        assert_focus(page, "region", "Validation du panier du 30/11/2026 à 09h00")
        expect(page.locator("#bilan")).to_have_accessible_description(
            "Panier validé : 1 réservation enregistrée. Un email de confirmation vous a été envoyé."
        )
        screenshot(page, "keyboard-validated-no-javascript")
    finally:
        context.close()
