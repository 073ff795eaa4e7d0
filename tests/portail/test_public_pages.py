"""The pages the law requires: default texts with the settings' real values, staff's text rendered
without any HTML, linked from every footer, open to everyone, editable (not deletable) in the admin."""

import datetime

import pytest
from django.urls import reverse

from core.models import PublicPage
from core.services.public_pages import page_html, public_page_get

PAGES = ("portail:accessibility", "portail:legal_notice", "portail:privacy", "portail:sitemap")


def test_the_migration_loads_the_four_pages_in_french(db):
    assert set(PublicPage.objects.values_list("slug", flat=True)) == set(PublicPage.Slug.values)
    accessibility = PublicPage.objects.get(slug="accessibilite")
    for words in ("RGAA", "Défenseur des droits", "Contenus non accessibles", "[date de mise à jour]"):
        assert words in accessibility.body
    privacy = PublicPage.objects.get(slug="donnees-personnelles")
    for words in ("Finalités", "Bases légales", "Durées de conservation", "Destinataires", "délégué à la protection", "Vos droits"):
        assert words in privacy.body


def test_privacy_page_states_the_configured_retention_and_contacts(db, settings):
    settings.RGPD_RETENTION_YEARS = 3
    settings.TOWN_NAME = "Mairie de Saint-Clair"
    settings.DPO_CONTACT = "dpo@saint-clair.example"
    html = page_html(public_page_get(slug="donnees-personnelles"))
    assert "anonymisées 3 ans après son départ" in html
    assert "supprimées 12 mois après le départ du foyer" in html  # DOCUMENT_RETENTION_MONTHS
    assert "sans réponse est supprimée après 90 jours" in html  # ACCOUNT_REQUEST_RETENTION_DAYS
    assert "Mairie de Saint-Clair est responsable" in html
    assert "dpo@saint-clair.example" in html
    assert "[" not in html.replace("[commune]", "")  # every placeholder replaced


def test_accessibility_statement_states_the_status_and_its_date(db, settings):
    settings.ACCESSIBILITY_STATUS = "partiellement conforme"
    page = public_page_get(slug="accessibilite")
    PublicPage.objects.filter(pk=page.pk).update(updated_at=datetime.datetime(2026, 10, 5, 23, 30, tzinfo=datetime.UTC))
    page.refresh_from_db()
    html = page_html(page)
    assert "est partiellement conforme avec le référentiel" in html
    assert "mise à jour le 06/10/2026" in html  # the date in Paris


def test_staff_text_is_escaped_and_only_paragraphs_headings_and_lists_are_made(db):
    page = PublicPage(
        slug="mentions-legales", title="x",
        body='## Titre <b>gras</b>\nPremière ligne\nseconde <script>alert(1)</script>\n\n- un <a href="x">lien</a>\n- deux',
    )
    html = page_html(page)
    assert "<script>" not in html and "<b>" not in html and '<a href="x">' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.startswith("<h2>Titre &lt;b&gt;gras&lt;/b&gt;</h2>")
    assert "<p>Première ligne<br>seconde" in html
    assert '<ul><li>un &lt;a href=&quot;x&quot;&gt;lien&lt;/a&gt;</li><li>deux</li></ul>' in html


def test_a_deleted_page_comes_back_with_its_default_text(db):
    PublicPage.objects.filter(slug="plan-du-site").delete()
    assert public_page_get(slug="plan-du-site").title == "Plan du site"


@pytest.mark.parametrize("name", PAGES)
def test_every_legal_page_is_open_to_everyone(client, family, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    client.force_login(family.user)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["portail:login", "portail:home", "portail:household", "portail:privacy"])
def test_every_page_has_the_skip_link_and_the_legal_footer(client, family, settings, name):
    settings.ACCESSIBILITY_STATUS = "non conforme"
    if name != "portail:login":
        client.force_login(family.user)
    text = client.get(reverse(name)).text
    assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in text and 'id="contenu"' in text
    footer = text[text.index('<footer'):]
    assert "Accessibilité : non conforme" in footer
    for linked in PAGES:
        assert f'href="{reverse(linked)}"' in footer


def test_site_map_lists_the_navigation_the_account_and_the_legal_pages(client, family):
    anonymous = client.get(reverse("portail:sitemap")).text
    assert reverse("portail:login") in anonymous and reverse("portail:password_change") not in anonymous
    client.force_login(family.user)
    text = client.get(reverse("portail:sitemap")).text
    main = text[text.index('<article'):]
    for name in ("portail:home", "portail:reservations", "portail:invoices", "portail:household",
                 "portail:password_change", *PAGES):
        assert f'href="{reverse(name)}"' in main, name


def test_staff_edit_a_page_but_cannot_add_or_delete_one(admin_client):
    page = PublicPage.objects.get(slug="mentions-legales")
    url = reverse("admin:core_publicpage_change", args=[page.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"title": "Mentions légales", "body": "Éditeur : la commune."})
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.body == "Éditeur : la commune."
    assert admin_client.get(reverse("admin:core_publicpage_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_publicpage_delete", args=[page.pk])).status_code == 403
    assert "Éditeur : la commune." in admin_client.get(reverse("portail:legal_notice")).text


def test_a_privacy_page_installed_earlier_gains_the_new_retention_periods(db):
    """Migration 0022 adds the documents' and account requests' periods to a page already installed."""
    import importlib

    from core.services.public_pages import DEFAULT_PAGES

    migration = importlib.import_module("core.migrations.0022_retention_schedules")
    default = DEFAULT_PAGES[PublicPage.Slug.PRIVACY][1]
    assert migration.NEW_LINES + migration.INVOICES_LINE in default
    PublicPage.objects.update_or_create(slug="donnees-personnelles", defaults={
        "title": "Données personnelles", "body": default.replace(migration.NEW_LINES, "")})
    from django.apps import apps

    migration.state_retention_on_privacy_page(apps, None)
    assert PublicPage.objects.get(slug="donnees-personnelles").body == default
    migration.state_retention_on_privacy_page(apps, None)  # twice: unchanged
    assert PublicPage.objects.get(slug="donnees-personnelles").body == default
