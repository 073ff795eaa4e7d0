import copy
import io

import pytest
import tablib
from django.contrib.admin.models import ADDITION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from import_export.resources import Diff

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
    household = Household.objects.get(reference="F0900")
    assert household.children.get().first_name == "Paul"
    (entry,) = LogEntry.objects.filter(object_id=str(household.pk))
    assert entry.action_flag == ADDITION and entry.user == gestionnaire
    assert household.history.get().history_user == gestionnaire


def test_empty_spreadsheet_cells_are_stored_as_empty_text(town):
    """An xlsx file reads its empty cells as None; the household's text columns are NOT NULL."""
    row = [None if value == "" else value for value in _row(**{**GOOD, "reference": "F0950"})]
    result = _import(_dataset(row))
    assert not result.has_errors() and not result.has_validation_errors()
    assert Household.objects.get(reference="F0950").address_line2 == ""


# --- at scale: a constant number of queries, history rows, all or nothing ---------------------------


def _family(number, **values):
    """A household row with two guardians and two children, unique by `number`."""
    return {
        "reference": f"Q{number:04d}",
        "nom": "MARTIN",
        "adresse": "8 rue des Écoles",
        "resident": "oui",
        "responsable1_civilite": "Mme",
        "responsable1_prenom": "Julie",
        "responsable1_nom": "MARTIN",
        "responsable1_email": f"julie.{number}@example.net",
        "responsable2_civilite": "M",
        "responsable2_prenom": "Marc",
        "responsable2_nom": "MARTIN",
        "responsable2_email": f"marc.{number}@example.net",
        "enfant1_prenom": "Léo",
        "enfant1_naissance": "14/03/2021",
        "enfant1_ecole": "École maternelle Les Tilleuls",
        "enfant1_classe": "MS",
        "enfant2_prenom": "Lou",
        "enfant2_naissance": "02/09/2017",
        "enfant2_ecole": "École élémentaire Jules-Ferry",
        "enfant2_classe": "CE1",
        **values,
    }


def _families(numbers, **values):
    return _dataset(*(_row(**_family(n, **values)) for n in numbers))


def _writes(queries):
    return [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "preview"])
def test_importing_ten_times_more_households_costs_no_more_queries(town, dry_run, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as five:
        result = _import(_families(range(5)), dry_run=dry_run)
    assert result.totals["new"] == 5 and not result.has_validation_errors()
    with django_assert_max_num_queries(len(five)):
        result = _import(_families(range(100, 150)), dry_run=dry_run)
    assert result.totals["new"] == 50 and not result.has_validation_errors()
    assert Child.objects.filter(household__reference__startswith="Q").count() == (0 if dry_run else 110)


def test_updating_ten_times_more_households_costs_no_more_queries(town, django_assert_max_num_queries):
    _import(_families(range(55)))
    changes = {"adresse": "2 rue Neuve", "responsable2_telephone": "06 11 22 33 44", "enfant1_regime": "sans porc"}
    with CaptureQueriesContext(connection) as five:
        result = _import(_families(range(5), **changes))
    assert result.totals["update"] == 5
    with django_assert_max_num_queries(len(five)):
        result = _import(_families(range(5, 55), **changes))
    assert result.totals["update"] == 50
    assert Household.objects.filter(address_line1="2 rue Neuve").count() == 55
    assert Child.objects.filter(diet="sans porc").count() == 55
    assert Guardian.objects.filter(phone_mobile="06 11 22 33 44").count() == 55


def test_reimporting_a_file_writes_nothing_in_a_constant_number_of_queries(town, django_assert_max_num_queries):
    _import(_families(range(50)))
    with CaptureQueriesContext(connection) as five:
        _import(_families(range(5)))
    with django_assert_max_num_queries(len(five)), CaptureQueriesContext(connection) as fifty:
        result = _import(_families(range(50)))
    assert result.totals["skip"] == 50
    assert _writes(fifty.captured_queries) == []


def test_imported_households_guardians_and_children_have_their_history(town, gestionnaire):
    HouseholdResource().import_data(_families(range(3)), user=gestionnaire, rollback_on_validation_errors=True)
    for model, count in ((Household, 3), (Guardian, 6), (Child, 6)):
        history = model.history.filter(history_type="+")
        assert history.count() == count == model.objects.count()
        assert {h.history_user for h in history} == {gestionnaire}
    child = Child.objects.get(household__reference="Q0001", first_name="Lou")
    assert child.history.get().school_id == town.elementaire.pk


def test_a_reimport_with_changes_writes_history_for_what_changed_only(town):
    _import(_families(range(2)))
    result = _import(_families(range(2), **{"enfant2_regime": "végétarien"}))
    assert [row.import_type for row in result.rows] == ["update", "update"]
    assert Child.history.filter(history_type="~", first_name="Lou", diet="végétarien").count() == 2
    assert not Child.history.filter(history_type="~", first_name="Léo").exists()
    assert not Guardian.history.filter(history_type="~").exists()
    # As when the household was saved row by row: its history says the household changed.
    assert Household.history.filter(history_type="~").count() == 2
    assert Child.objects.count() == 4


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "preview"])
def test_one_bad_row_anywhere_in_a_long_file_imports_nothing(town, dry_run):
    rows = [_row(**_family(n)) for n in range(30)]
    rows[16] = _row(**_family(16, enfant2_naissance="31/02/2017"))
    before = _counts()
    result = _import(_dataset(*rows), dry_run=dry_run)
    (invalid,) = result.invalid_rows
    assert invalid.number == 17
    assert invalid.field_specific_errors == {
        "enfant2_naissance": [
            "« 31/02/2017 » : date attendue au format JJ/MM/AAAA.",
            "Ce champ ne peut pas contenir la valeur nulle.",
        ]
    }
    assert _counts() == before
    assert not Household.history.exists() and not Child.history.exists()


def test_a_bad_row_after_batches_already_written_still_imports_nothing(town):
    class SmallBatches(HouseholdResource):
        class Meta(HouseholdResource.Meta):
            batch_size = 2

    rows = [_row(**_family(n)) for n in range(7)] + [_row(**_family(7, enfant1_classe="CM9"))]
    before = _counts()
    result = SmallBatches().import_data(_dataset(*rows), rollback_on_validation_errors=True)
    assert [row.number for row in result.invalid_rows] == [8]
    assert _counts() == before and not Guardian.history.exists()


def test_an_email_already_used_by_another_household_is_refused(town, family):
    result = _import(_dataset(_row(**_family(1, responsable2_email="Parent@Example.org"))))
    (invalid,) = result.invalid_rows
    assert invalid.field_specific_errors == {
        "responsable2_email": ["Cette adresse email est déjà celle d'un autre responsable."]
    }
    assert not Household.objects.filter(reference="Q0001").exists()


def test_a_guardian_reimported_with_their_own_email_keeps_it(town):
    _import(_families(range(2)))
    result = _import(_families(range(2), **{"responsable1_telephone": "06 00 00 00 00"}))
    assert not result.has_validation_errors()
    assert Guardian.objects.get(email="julie.1@example.net").phone_mobile == "06 00 00 00 00"


def test_an_email_given_twice_in_the_file_is_refused_where_it_comes_again(town):
    rows = [
        _row(**_family(1)),
        _row(**_family(2, responsable2_email="julie.1@example.net")),
        _row(**_family(3, responsable2_email="julie.3@example.net")),
    ]
    result = _import(_dataset(*rows))
    errors = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert errors == {
        2: {"responsable2_email": ["Cette adresse email est déjà celle d'un autre responsable (responsable1 de la ligne 1)."]},
        3: {"responsable2_email": ["Cette adresse email est déjà celle d'un autre responsable (responsable1 de cette ligne)."]},
    }
    assert not Household.objects.filter(reference__startswith="Q").exists()


def test_a_household_given_twice_in_the_file_is_refused(town):
    result = _import(_dataset(_row(**_family(1)), _row(**_family(2)), _row(**_family(1, nom="DURAND"))))
    (invalid,) = result.invalid_rows
    assert invalid.number == 3
    assert invalid.field_specific_errors["reference"] == ["Référence en double : ce foyer figure déjà ligne 1 du fichier."]
    assert not Household.objects.filter(reference__startswith="Q").exists()


@pytest.mark.parametrize("new", [False, True], ids=["changed", "new"])
def test_the_preview_diff_reads_as_django_import_export_draws_it(family, new):
    resource = HouseholdResource()
    household = Household.objects.get(pk=family.household.pk)
    imported = copy.deepcopy(household)
    imported.address_line1, imported.is_resident = "1 rue <Neuve> & co", not household.is_resident
    drawn = []
    for diff_class in (Diff, resource.get_diff_class()):
        diff = diff_class(resource, household, new)
        diff.compare_with(resource, imported)
        drawn.append(diff.as_html())
    assert drawn[0] == drawn[1]
    assert len(drawn[1]) == len(HOUSEHOLD_COLUMNS) and "Neuve" in "".join(drawn[1])


def test_an_email_taken_while_the_file_is_imported_is_reported_and_nothing_is_written(town, monkeypatch):
    """Rows are checked first and written in bulk afterwards: a write the checks could not foresee
    (another agent saving the same email meanwhile) fails the whole import, not just one row."""
    from tests.factories import GuardianFactory

    owners_before_the_race = Guardian.email_owners

    def email_taken_meanwhile(emails):
        owners = owners_before_the_race(emails)
        GuardianFactory(email="julie.1@example.net")
        return owners

    monkeypatch.setattr(Guardian, "email_owners", email_taken_meanwhile)
    before = _counts()
    result = _import(_families(range(3)))
    assert result.has_errors() and result.base_errors
    assert _counts() == before


def test_a_file_without_the_reference_column_is_reported_and_imports_nothing(town):
    columns = [c for c in HOUSEHOLD_COLUMNS if c != "reference"]
    dataset = tablib.Dataset([_family(1)[c] if c in _family(1) else "" for c in columns], headers=columns)
    before = _counts()
    result = _import(dataset)
    (error,) = result.base_errors
    assert "reference" in str(error.error)
    assert _counts() == before
