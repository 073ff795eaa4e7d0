import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse


@pytest.fixture
def demo_admin_client(client, db):
    call_command("load_demo", verbosity=0)
    from core.models import User

    client.force_login(User.objects.get(email="admin@example.org"))
    return client


def test_every_changelist_and_add_page_opens_for_a_superuser(demo_admin_client, rf):
    from core.models import User

    request = rf.get("/admin/")
    request.user = User.objects.get(email="admin@example.org")
    for model, model_admin in admin.site._registry.items():
        views = ["changelist"] + (["add"] if model_admin.has_add_permission(request) else [])
        for view in views:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
            response = demo_admin_client.get(url)
            assert response.status_code == 200, f"{url} → {response.status_code}"


def test_every_change_page_of_the_demo_town_opens(demo_admin_client):
    for model, model_admin in admin.site._registry.items():
        obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        assert demo_admin_client.get(url).status_code == 200, url


def test_admin_is_in_french_and_household_shows_guardians_and_children(demo_admin_client):
    from core.models import Household

    test = Household.objects.get(reference="TEST")
    response = demo_admin_client.get(reverse("admin:core_household_change", args=[test.pk]))
    content = response.content.decode()
    assert "Responsables" in content and "Enfants" in content and "Junior" in content
    assert 'lang="fr"' in content


def test_the_admin_theme_speaks_french_too(demo_admin_client):
    content = demo_admin_client.get(reverse("admin:core_booking_changelist")).content.decode()
    assert "Rechercher une rubrique…" in content and "Toutes les rubriques" in content
    assert "Search apps and models" not in content and "All applications" not in content


def test_admin_requires_login(client, db):
    response = client.get(reverse("admin:core_household_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_history_pages_and_the_remaining_headers_speak_french(demo_admin_client):
    from core.models import Guardian, Household

    test = Household.objects.get(reference="TEST")
    test.name = "TEST-BIS"
    test.save()
    guardian = Guardian.objects.get(email="parent@example.org")
    history = demo_admin_client.get(reverse("admin:core_household_history", args=[test.pk])).content.decode()
    assert "Modifications" in history
    assert "Changes" not in history and "Choose a date" not in history
    assert "Ancienne valeur" in history and "Nouvelle valeur" in history and "Old value" not in history
    version = demo_admin_client.get(
        reverse("admin:core_household_simple_history", args=[test.pk, test.history.earliest().history_id])
    ).content.decode()
    assert "Revert" not in version and "Rétablir" not in version
    guardians = demo_admin_client.get(reverse("admin:core_guardian_changelist")).content.decode()
    assert "Display name" not in guardians and guardian.display_name in guardians
    rule = demo_admin_client.get(reverse("admin:core_deadlinerule_add")).content.decode()
    assert "Choisir une valeur" in rule and "Select value" not in rule


def test_the_compiled_french_catalogue_matches_its_source():
    """locale/fr/LC_MESSAGES/django.mo is committed: every entry of the .po must be in it."""
    import re
    from pathlib import Path

    from django.conf import settings
    from django.utils import translation

    po = (Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text()
    pairs = re.findall(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr "((?:[^"\\]|\\.)*)"', po)
    assert len(pairs) > 60
    with translation.override("fr"):
        missing = [msgid for msgid, msgstr in pairs if translation.gettext(msgid) != msgstr]
    assert missing == []
