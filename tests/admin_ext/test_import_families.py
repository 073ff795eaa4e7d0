import io

import pytest
import tablib
from django.urls import reverse

from admin_ext.resources import HOUSEHOLD_COLUMNS, HouseholdResource, household_template_dataset
from core.models import Child, Guardian, Household


def _row(**values):
    return [values.get(column, "") for column in HOUSEHOLD_COLUMNS]


def _dataset(*rows):
    return tablib.Dataset(*rows, headers=HOUSEHOLD_COLUMNS)


GOOD = {
    "reference": "F0900",
    "nom": "LEGRAND",
    "adresse": "3 rue du Moulin",
    "code_postal": "59270",
    "commune": "Valbourg",
    "resident": "oui",
    "responsable1_civilite": "Mme",
    "responsable1_prenom": "Anne",
    "responsable1_nom": "LEGRAND",
    "responsable1_email": "anne.legrand@example.net",
    "enfant1_prenom": "Paul",
    "enfant1_naissance": "02/05/2021",
    "enfant1_ecole": "École maternelle Les Tilleuls",
    "enfant1_classe": "MS",
    "enfant1_allergies": "arachide",
    "enfant1_pai": "oui",
}


def _import(dataset, dry_run=False):
    return HouseholdResource().import_data(dataset, dry_run=dry_run, rollback_on_validation_errors=True)


def _counts():
    return Household.objects.count(), Guardian.objects.count(), Child.objects.count()


def test_a_valid_file_creates_households_guardians_and_children(town):
    result = _import(_dataset(_row(**GOOD)))
    assert not result.has_errors() and not result.has_validation_errors()
    household = Household.objects.get(reference="F0900")
    (anne,) = household.guardians.all()
    (paul,) = household.children.all()
    assert anne.is_billing_contact and anne.get_civility_display() == "Mme"
    assert paul.school == town.maternelle and paul.has_pai and paul.last_name == "LEGRAND"


def test_an_import_with_one_bad_row_writes_nothing_and_reports_the_row(town):
    bad = {**GOOD, "reference": "F0901", "enfant1_prenom": "Eve", "enfant1_classe": "CM1", "enfant1_naissance": "31/02/2020"}
    before = _counts()
    result = _import(_dataset(_row(**GOOD), _row(**bad)))
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    assert set(invalid.field_specific_errors) >= {"enfant1_naissance"}
    assert _counts() == before


def test_a_child_whose_grade_does_not_match_the_school_is_refused(town):
    bad = {**GOOD, "enfant1_classe": "CM1"}
    result = _import(_dataset(_row(**bad)))
    (invalid,) = result.invalid_rows
    assert "enfant1_ecole" in invalid.field_specific_errors
    assert not Household.objects.filter(reference="F0900").exists()


def test_reimporting_the_same_file_changes_nothing(town):
    dataset = _dataset(_row(**GOOD), _row(**{**GOOD, "reference": "F0902", "responsable1_email": "x@example.net"}))
    _import(dataset)
    counts, history = _counts(), (Household.history.count(), Guardian.history.count(), Child.history.count())
    result = _import(dataset)
    assert [row.import_type for row in result.rows] == ["skip", "skip"]
    assert _counts() == counts
    assert (Household.history.count(), Guardian.history.count(), Child.history.count()) == history


def test_a_changed_child_updates_the_household_row_in_place(town):
    _import(_dataset(_row(**GOOD)))
    result = _import(_dataset(_row(**{**GOOD, "enfant1_regime": "sans porc"})))
    assert [row.import_type for row in result.rows] == ["update"]
    assert Child.objects.get(first_name="Paul").diet == "sans porc" and Child.objects.count() == 1


def test_an_export_reimports_unchanged(family):
    dataset = HouseholdResource().export(Household.objects.all())
    assert dataset.headers == HOUSEHOLD_COLUMNS
    result = _import(tablib.Dataset().load(dataset.csv, format="csv"))
    assert [row.import_type for row in result.rows] == ["skip"]


def test_the_downloadable_template_imports(town):
    result = _import(household_template_dataset(), dry_run=True)
    assert [row.import_type for row in result.rows] == ["new"]


@pytest.mark.django_db
def test_the_admin_preview_reports_the_refused_row_and_offers_no_confirmation(client, town, gestionnaire):
    bad = {**GOOD, "reference": "F0901", "responsable1_email": "pas-un-email"}
    upload = io.BytesIO(_dataset(_row(**GOOD), _row(**bad)).export("csv").encode())
    upload.name = "familles.csv"
    client.force_login(gestionnaire)
    response = client.post(
        reverse("admin:core_household_import"), {"resource": "0", "format": "1", "import_file": upload}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "responsable1_email" in content and "Saisissez une adresse e-mail valide" in content
    assert "process_import" not in content
    assert not Household.objects.filter(reference__in=["F0900", "F0901"]).exists()


def test_the_template_download(client, gestionnaire):
    client.force_login(gestionnaire)
    response = client.get(reverse("admin:core_household_import_template"), {"format": "csv"})
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == HOUSEHOLD_COLUMNS


def test_the_admin_preview_then_confirmation_imports_a_valid_file(client, town, gestionnaire):
    import re

    upload = io.BytesIO(_dataset(_row(**GOOD)).export("csv").encode())
    upload.name = "familles.csv"
    client.force_login(gestionnaire)
    preview = client.post(reverse("admin:core_household_import"), {"resource": "0", "format": "1", "import_file": upload})
    content = preview.content.decode()
    assert "process_import" in content and "F0900" in content
    assert not Household.objects.filter(reference="F0900").exists()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', content))
    confirm = {key: hidden[key] for key in ("import_file_name", "original_file_name", "format", "resource")}
    response = client.post(reverse("admin:core_household_process_import"), confirm)
    assert response.status_code == 302
    assert Household.objects.get(reference="F0900").children.get().first_name == "Paul"


def test_empty_spreadsheet_cells_are_stored_as_empty_text(town):
    """An xlsx file reads its empty cells as None; the household's text columns are NOT NULL."""
    row = [None if value == "" else value for value in _row(**{**GOOD, "reference": "F0950"})]
    result = _import(_dataset(row))
    assert not result.has_errors() and not result.has_validation_errors()
    assert Household.objects.get(reference="F0950").address_line2 == ""
