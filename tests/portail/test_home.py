"""Home page: Actualités, the navigation defined once, the account menu, staff and CSP."""

import datetime

from django.urls import reverse
from django.utils import timezone

from portail import navigation
from tests import factories


def test_home_lists_published_news_newest_first(client, family):
    now = timezone.now()
    factories.NewsFactory(title="Ancienne", published_from=now - datetime.timedelta(days=10))
    factories.NewsFactory(title="Récente", published_from=now - datetime.timedelta(hours=1))
    factories.NewsFactory(title="Future", published_from=now + datetime.timedelta(days=1))
    factories.NewsFactory(
        title="Expirée", published_from=now - datetime.timedelta(days=5), published_until=now - datetime.timedelta(days=1)
    )
    client.force_login(family.user)
    response = client.get(reverse("portail:home"))
    assert response.status_code == 200
    titles = [n.title for n in response.context["news"]]
    assert titles == ["Récente", "Ancienne"]
    assert response.text.index("Récente") < response.text.index("Ancienne")


def test_home_shows_the_navigation_and_the_account_menu(client, family):
    client.force_login(family.user)
    text = client.get(reverse("portail:home")).text
    for label in ["Actualités", "Espace Famille", "Gestion du foyer", "Changer d'adresse email", "Changer de mot de passe", "Déconnexion"]:
        assert label in text, label
    assert 'aria-current="page">Actualités' in text
    assert reverse("portail:reservations") in text and reverse("portail:household") in text
    assert text.index("Espace Famille</a>") < text.index("Factures et paiements</a>") < text.index("Gestion du foyer</a>")
    assert reverse("portail:invoices") in text
    assert reverse("admin:index") not in text


def test_a_registered_entry_shows_only_once_its_url_exists():
    item = navigation.NavItem("a-venir", "Page à venir", "portail:page_a_venir", 35)
    navigation.register(item)
    try:
        assert "a-venir" not in [e["key"] for e in navigation.navigation()]
    finally:
        navigation._ITEMS.pop("a-venir")


def test_staff_in_the_portal_get_a_link_to_the_admin(client, staff_agent):
    client.force_login(staff_agent)
    response = client.get(reverse("portail:home"))
    assert response.status_code == 200
    assert reverse("admin:index") in response.text
    assert "Gestion du foyer" not in response.text  # no household behind a staff login


def test_espace_famille_lists_the_children_and_their_enrolments(client, family, other_family):
    client.force_login(family.user)
    response = client.get(reverse("portail:enrolments"))
    assert response.status_code == 200
    text = response.text
    assert "Mes inscriptions" in text
    assert "Junior TEST" in text and "Lise TEST" in text
    assert "Repas maternelle" in text and "Repas primaire" in text and "Garderie soir" in text
    assert "Zoé" not in text


def test_portal_pages_carry_a_strict_content_security_policy(client, family):
    client.force_login(family.user)
    policy = client.get(reverse("portail:home")).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    login = client.get(reverse("portail:login")).headers["Content-Security-Policy"]
    assert "unsafe" not in login


def test_admin_pages_get_their_own_looser_policy(client, staff_agent):
    client.force_login(staff_agent)
    policy = client.get(reverse("admin:index")).headers["Content-Security-Policy"]
    assert "'unsafe-eval'" in policy and "frame-ancestors 'none'" in policy


def test_portal_templates_have_no_inline_script_or_style(client, family):
    client.force_login(family.user)
    for name in ["portail:home", "portail:reservations", "portail:enrolments", "portail:period", "portail:household", "portail:contact_edit", "portail:email_change", "portail:password_change"]:
        text = client.get(reverse(name)).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text, name
        assert "<script src=" in text, name


def test_session_cookie_is_secure_and_httponly_outside_debug(settings):
    # Read from the settings module as deployed (DEBUG off by default).
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SECURE
