from django.contrib.auth.models import Group

from core.services.roles import ADMINISTRATEUR, GESTIONNAIRE, REGISSEUR, ROLE_PERMISSIONS, roles_sync


def _codes(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_created_the_three_role_groups(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {GESTIONNAIRE, REGISSEUR, ADMINISTRATEUR}


def test_roles_sync_is_idempotent_and_restores_the_table(db):
    groups = roles_sync()
    groups[GESTIONNAIRE].permissions.clear()
    roles_sync()
    again = roles_sync()
    assert _codes(again[GESTIONNAIRE]) == {p for p in ROLE_PERMISSIONS[GESTIONNAIRE] if p in _codes(again[ADMINISTRATEUR])}
    assert Group.objects.filter(name=GESTIONNAIRE).count() == 1


def test_permissions_of_models_not_yet_installed_are_skipped(db, monkeypatch):
    future = "core.view_notyetamodel"
    monkeypatch.setitem(ROLE_PERMISSIONS, REGISSEUR, [*ROLE_PERMISSIONS[REGISSEUR], future])
    groups = roles_sync()
    assert future not in _codes(groups[REGISSEUR])
    assert {"core.view_booking", "core.view_invoice", "core.add_invoicerun"} <= set(_codes(groups[REGISSEUR]))


def test_gestionnaire_keeps_families_and_regisseur_only_reads_them(gestionnaire, regisseur):
    assert gestionnaire.has_perms(["core.change_household", "core.add_child", "core.change_attendance", "core.add_news"])
    assert gestionnaire.has_perm("core.view_emaillog") and not gestionnaire.has_perm("core.change_emaillog")
    assert not gestionnaire.has_perm("core.change_tariff") and not gestionnaire.has_perm("auth.change_group")
    assert regisseur.has_perm("core.view_household")
    assert not any(
        regisseur.has_perm(f"core.{action}_{model}")
        for action in ("add", "change", "delete")
        for model in ("household", "guardian", "child")
    )


def test_administrateur_has_every_permission_including_settings(administrateur):
    assert administrateur.has_perms(["core.change_tariff", "core.change_regie", "auth.change_group", "core.change_user"])
