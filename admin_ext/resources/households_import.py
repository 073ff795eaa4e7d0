"""The families import (django-import-export).

The families spreadsheet has one row per household: the household's columns, then
`responsable1_*`, `responsable2_*` and `enfant1_*` … `enfant4_*` (see docs/import-familles.md).
Rows are matched on the household reference; guardians on their first and last name within the
household, children on their first name and birth date. Nothing is ever deleted by an import.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from admin_ext.resources.widgets import OuiNonWidget
from core.models import Child, Guardian, Household, School

GUARDIAN_SLOTS = 2
CHILD_SLOTS = 4

# column suffix → (model attribute, what the documentation says)
GUARDIAN_COLUMNS = {
    "civilite": "civility",
    "prenom": "first_name",
    "nom": "last_name",
    "email": "email",
    "telephone": "phone_mobile",
}
CHILD_COLUMNS = {
    "prenom": "first_name",
    "nom": "last_name",
    "naissance": "birth_date",
    "ecole": "school",
    "classe": "grade",
    "regime": "diet",
    "allergies": "allergies",
    "pai": "has_pai",
}
CIVILITIES = {"": "", "m": "M", "m.": "M", "monsieur": "M", "mme": "MME", "madame": "MME"}


def _text(row, column):
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(text):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"« {text} » : date attendue au format JJ/MM/AAAA.")


def _changed_fields(obj, values):
    """The attributes `values` would change on `obj`: all of them for an object not yet saved."""
    if obj.pk is None:
        return tuple(values)
    return tuple(name for name, value in values.items() if getattr(obj, name) != value)


def _slot_columns(prefix, slots, columns):
    return [f"{prefix}{n}_{suffix}" for n in range(1, slots + 1) for suffix in columns]


RELATED_COLUMNS = _slot_columns("responsable", GUARDIAN_SLOTS, GUARDIAN_COLUMNS) + _slot_columns(
    "enfant", CHILD_SLOTS, CHILD_COLUMNS
)


EMPTY_CELL = mark_safe("")


class _Diff(resources.Diff):
    """The preview's row diff, as django-import-export draws it, minus work that adds up over
    10,000 rows: the guardian and child columns have no attribute, so they read as "" without
    asking each field, and cells empty on both sides (most of a row's 49) are not handed to
    diff_match_patch, which renders them as "" anyway."""

    def __init__(self, resource, instance, new):  # not super(): it would read every field
        self.left, self.right, self.new = self._values(resource, instance), [], new

    def compare_with(self, resource, instance):
        self.right = self._values(resource, instance)

    @staticmethod
    def _values(resource, instance):
        return [field.export(instance) if field.attribute else "" for field in resource.get_import_fields()]

    def as_html(self):
        empty = [left == "" and right == "" for left, right in zip(self.left, self.right, strict=False)]
        left, right = self.left, self.right
        self.left = [value for value, skip in zip(left, empty, strict=False) if not skip]
        self.right = [value for value, skip in zip(right, empty, strict=False) if not skip]
        try:
            cells = iter(super().as_html())
        finally:
            self.left, self.right = left, right
        return [EMPTY_CELL if skip else next(cells) for skip in empty]


HOUSEHOLD_FIELDS = ["reference", "name", "address_line1", "address_line2", "postal_code", "city", "is_resident"]

# Empty spreadsheet cells read as None: text columns store them as "" (the columns are NOT NULL).
TEXT = widgets.CharWidget(allow_blank=True)


class _HouseholdResourceBase(resources.ModelResource):
    reference = fields.Field(attribute="reference", column_name="reference", widget=TEXT)
    name = fields.Field(attribute="name", column_name="nom", widget=TEXT)
    address_line1 = fields.Field(attribute="address_line1", column_name="adresse", widget=TEXT)
    address_line2 = fields.Field(attribute="address_line2", column_name="complement_adresse", widget=TEXT)
    postal_code = fields.Field(attribute="postal_code", column_name="code_postal", widget=TEXT)
    city = fields.Field(attribute="city", column_name="commune", widget=TEXT)
    is_resident = fields.Field(attribute="is_resident", column_name="resident", widget=OuiNonWidget())

    # --- import: what every row needs, read once for the whole file ---------------------------
    # A 10,000-row file must cost a handful of queries, not a dozen per row: the households of the
    # file (CachedInstanceLoader), their guardians and children, the schools and the guardian
    # emails already in use are read once; rows are validated in memory; households, guardians,
    # children and their history rows are written in bulk (Meta.use_bulk).
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._schools_by_name = None
        self._reference_rows = {}
        self._email_rows = {}
        self._email_owners = {}
        self._existing_related = {"guardians": {}, "children": {}}
        self._history_user = None
        self._import_fields = None

    @classmethod
    def get_diff_class(cls):
        return _Diff

    def get_import_fields(self):
        # Asked several times per row by django-import-export; the fields do not change.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def before_import(self, dataset, **kwargs):
        user = kwargs.get("user")
        self._history_user = user if getattr(user, "is_authenticated", False) else None
        self._schools()
        reference = self.fields["reference"]
        references, emails = defaultdict(list), defaultdict(list)
        headers = dataset.headers or []  # without them, django-import-export reports the file
        for number, values in enumerate(dataset, 1):
            row = dict(zip(headers, values, strict=False))
            if reference.column_name in row and (value := reference.clean(row)):
                references[value].append(number)
            for n in range(1, GUARDIAN_SLOTS + 1):
                if email := _text(row, f"responsable{n}_email").lower():
                    emails[email].append((number, n))
        self._reference_rows, self._email_rows = references, emails
        self._email_owners = Guardian.email_owners(emails)
        # Kept apart from the households (not prefetched onto them): django-import-export deep-copies
        # each household to diff it, and copying its guardians and children too would cost more.
        in_file = {"household__reference__in": list(references)}
        for related_name, queryset in (
            ("guardians", Guardian.objects.filter(**in_file)),
            ("children", Child.objects.filter(**in_file).select_related("school")),
        ):
            by_household = self._existing_related[related_name] = defaultdict(list)
            for obj in queryset:
                by_household[obj.household_id].append(obj)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        # The guardian and child columns have no attribute: _read_guardians and _read_children
        # read them.
        if field.attribute:
            super().import_field(field, instance, row, is_m2m, **kwargs)

    # --- import: read the related columns of a row, validate them, remember the plan ----------
    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for column in ("reference", "nom"):
            if not _text(row, column):
                errors.setdefault(column, []).append(ValidationError("Obligatoire."))
        number = kwargs.get("row_number")
        first = self._reference_rows.get(instance.reference, [number])[0]
        if first != number:
            # One row per household: a second row for the same reference is a mistake in the file.
            errors.setdefault("reference", []).append(
                ValidationError(f"Référence en double : ce foyer figure déjà ligne {first} du fichier.")
            )
        instance._import_guardians = self._read_guardians(instance, row, number, errors)
        instance._import_children = self._read_children(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The reference is unique: the instance loader matched it against the database and
        # before_import against the rest of the file, so no query per row here.
        super().validate_instance(instance, import_validation_errors, validate_unique=False)

    def _schools(self):
        """Schools by lowercase name, read once per import rather than once per row."""
        if self._schools_by_name is None:
            self._schools_by_name = {s.name.lower(): s for s in School.objects.all()}
        return self._schools_by_name

    def _existing(self, instance, related_name):
        return list(getattr(instance, related_name).all()) if instance.pk else []

    def _existing_in_file(self, instance, related_name):
        return self._existing_related[related_name].get(instance.pk, []) if instance.pk else []

    def _read_guardians(self, instance, row, number, errors):
        existing = {(g.first_name.lower(), g.last_name.lower()): g for g in self._existing_in_file(instance, "guardians")}
        has_billing = any(g.is_billing_contact for g in existing.values())
        plan = []
        for n in range(1, GUARDIAN_SLOTS + 1):
            values = {attr: _text(row, f"responsable{n}_{suffix}") for suffix, attr in GUARDIAN_COLUMNS.items()}
            if not any(values.values()):
                continue
            prefix = f"responsable{n}_"
            civility = CIVILITIES.get(values["civility"].lower())
            if civility is None:
                errors.setdefault(prefix + "civilite", []).append(ValidationError("Attendu : M ou Mme."))
                civility = ""
            values["civility"] = civility
            values["email"] = values["email"].lower() or None
            guardian = existing.get((values["first_name"].lower(), values["last_name"].lower()))
            if guardian is None:
                guardian = Guardian(household=instance if instance.pk else None)
                guardian.is_billing_contact = not has_billing and n == 1
            changed = _changed_fields(guardian, values)
            for key, value in values.items():
                setattr(guardian, key, value)
            self._check(guardian, prefix, GUARDIAN_COLUMNS, errors)
            self._check_email(guardian, number, n, errors)
            plan.append((guardian, changed))
        return plan

    def _check_email(self, guardian, number, slot, errors):
        """Guardian.clean's rule (an email belongs to one guardian), checked against the emails
        read once in before_import: those in the database, and those given earlier in the file
        (the first guardian to give an email keeps it, as if the rows were saved one by one)."""
        if not guardian.email:
            return
        column = f"responsable{slot}_email"
        owner = self._email_owners.get(guardian.email)
        if owner is not None:
            if owner != guardian.pk:
                errors.setdefault(column, []).append(ValidationError(Guardian.EMAIL_TAKEN))
            return
        first_number, first_slot = self._email_rows.get(guardian.email, [(number, slot)])[0]
        if (first_number, first_slot) != (number, slot):
            place = "de cette ligne" if first_number == number else f"de la ligne {first_number}"
            message = f"{Guardian.EMAIL_TAKEN.removesuffix('.')} (responsable{first_slot} {place})."
            errors.setdefault(column, []).append(ValidationError(message))

    def _read_children(self, instance, row, errors):
        existing = {(c.first_name.lower(), c.birth_date): c for c in self._existing_in_file(instance, "children")}
        schools = self._schools()
        plan = []
        for n in range(1, CHILD_SLOTS + 1):
            raw = {suffix: _text(row, f"enfant{n}_{suffix}") for suffix in CHILD_COLUMNS}
            if not any(raw.values()):
                continue
            prefix = f"enfant{n}_"
            values = {
                "first_name": raw["prenom"],
                "last_name": raw["nom"] or _text(row, "nom"),
                "grade": raw["classe"].upper(),
                "diet": raw["regime"],
                "allergies": raw["allergies"],
            }
            try:
                values["birth_date"] = _parse_date(raw["naissance"]) if raw["naissance"] else None
            except ValidationError as error:
                errors.setdefault(prefix + "naissance", []).append(error)
                values["birth_date"] = None
            try:
                values["has_pai"] = OuiNonWidget().clean(raw["pai"])
            except ValueError as error:
                errors.setdefault(prefix + "pai", []).append(ValidationError(str(error)))
                values["has_pai"] = False
            values["school"] = schools.get(raw["ecole"].lower()) if raw["ecole"] else None
            if raw["ecole"] and values["school"] is None:
                errors.setdefault(prefix + "ecole", []).append(ValidationError(f"École inconnue : « {raw['ecole']} »."))
            child = existing.get((values["first_name"].lower(), values["birth_date"]))
            if child is None:
                child = Child(household=instance if instance.pk else None)
            changed = _changed_fields(child, values)
            for key, value in values.items():
                setattr(child, key, value)
            self._check(child, prefix, CHILD_COLUMNS, errors)
            plan.append((child, changed))
        return plan

    def _check(self, obj, prefix, columns, errors):
        """Run the model's own validation without a query: the imported fields, and Child.clean
        (the school matches the grade). The school comes from the schools read once, so its
        foreign key needs no check; Guardian.clean's email rule is _check_email. Each error is
        reported under its spreadsheet column."""
        column_of = {attr: prefix + suffix for suffix, attr in columns.items()}
        not_imported = [f.name for f in obj._meta.concrete_fields if f.name not in column_of]
        problems = {}
        try:
            obj.clean_fields(exclude=[*not_imported, "school"])
        except ValidationError as error:
            problems = error.update_error_dict(problems)
        if isinstance(obj, Child):
            try:
                obj.clean()
            except ValidationError as error:
                problems = error.update_error_dict(problems)
        for attr, messages in ValidationError(problems).message_dict.items() if problems else ():
            column = column_of.get(attr, prefix.rstrip("_"))
            errors.setdefault(column, []).extend(ValidationError(m) for m in messages)

    # --- skip unchanged rows, so that importing the same file twice writes nothing -------------
    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None:
            return False
        instance._import_changed_fields = tuple(
            name for name in self.get_bulk_update_fields() if getattr(instance, name) != getattr(original, name)
        )
        related_changed = any(changed for _, changed in instance._import_guardians + instance._import_children)
        return not related_changed and super().skip_row(instance, original, row, import_validation_errors)

    # --- write in bulk, with the history rows that save() would have written -------------------
    def get_bulk_update_fields(self):
        return [name for name in HOUSEHOLD_FIELDS if name != "reference"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(
                    self.create_instances, Household, batch_size=batch_size, default_user=self._history_user
                )
                self._save_related(self.create_instances, batch_size)
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.update_instances and (using_transactions or not dry_run):
            try:
                # A household whose guardian or child alone changed gets its history row, as save() did.
                self._update_changed(self.update_instances, Household, lambda h: h._import_changed_fields, batch_size)
                self._save_related(self.update_instances, batch_size)
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.update_instances.clear()

    def _save_related(self, households, batch_size):
        """Insert the new guardians and children of `households`, update the changed ones."""
        new, changed = {Guardian: [], Child: []}, {Guardian: [], Child: []}
        for household in households:
            for obj, obj_changed in household._import_guardians + household._import_children:
                if obj.pk is None:
                    obj.household = household
                    new[type(obj)].append(obj)
                elif obj_changed:
                    obj._import_changed_fields = obj_changed
                    changed[type(obj)].append(obj)
        for model in (Guardian, Child):
            if new[model]:
                bulk_create_with_history(new[model], model, batch_size=batch_size, default_user=self._history_user)
            self._update_changed(changed[model], model, lambda obj: obj._import_changed_fields, batch_size)

    def _update_changed(self, objs, model, changed_fields, batch_size):
        """bulk_update_with_history, writing only the columns that changed: Django's bulk_update
        builds one CASE per column and object, so a column written for nothing costs as much as
        one that changed. Objects are grouped by the columns they change."""
        groups = defaultdict(list)
        for obj in objs:
            groups[changed_fields(obj)].append(obj)
        for changed, group in groups.items():
            bulk_update_with_history(group, model, list(changed), batch_size=batch_size, default_user=self._history_user)

    # --- export: the same columns, from the database (or from the row being previewed) --------
    def export_field(self, field, instance, **kwargs):
        column = field.column_name
        if column not in RELATED_COLUMNS:
            return super().export_field(field, instance, **kwargs)
        kind, rest = ("responsable", column.removeprefix("responsable")) if column.startswith("responsable") else (
            "enfant",
            column.removeprefix("enfant"),
        )
        slot, suffix = rest.split("_", 1)
        if kind == "responsable":
            items = [g for g, _ in getattr(instance, "_import_guardians", None) or []] or self._existing(instance, "guardians")
            attr = GUARDIAN_COLUMNS[suffix]
        else:
            items = [c for c, _ in getattr(instance, "_import_children", None) or []] or self._existing(instance, "children")
            attr = CHILD_COLUMNS[suffix]
        index = int(slot) - 1
        if index >= len(items):
            return ""
        value = getattr(items[index], attr)
        if attr == "civility":
            return items[index].get_civility_display()
        if attr == "birth_date":
            return value.strftime("%d/%m/%Y") if value else ""
        if attr == "has_pai":
            return "oui" if value else "non"
        if attr == "school":
            return value.name if value else ""
        return value or ""


def _build_household_resource():
    related = {
        column.replace("-", "_"): fields.Field(column_name=column, attribute=None) for column in RELATED_COLUMNS
    }
    class Meta:
        model = Household
        fields = HOUSEHOLD_FIELDS + list(related)
        import_id_fields = ["reference"]
        instance_loader_class = CachedInstanceLoader
        use_bulk = True
        batch_size = 1000
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    return type(_HouseholdResourceBase)(
        "HouseholdResource", (_HouseholdResourceBase,), {**related, "Meta": Meta, "__module__": __name__}
    )


HouseholdResource = _build_household_resource()
HOUSEHOLD_COLUMNS = ["reference", "nom", "adresse", "complement_adresse", "code_postal", "commune", "resident"] + RELATED_COLUMNS


def household_template_dataset():
    """The empty families spreadsheet with one example row, as offered for download."""
    import tablib

    example = {
        "reference": "F0100",
        "nom": "EXEMPLE",
        "adresse": "8 rue des Écoles",
        "code_postal": "59270",
        "commune": "Valbourg",
        "resident": "oui",
        "responsable1_civilite": "Mme",
        "responsable1_prenom": "Julie",
        "responsable1_nom": "EXEMPLE",
        "responsable1_email": "julie.exemple@example.net",
        "responsable1_telephone": "06 12 34 56 78",
        "enfant1_prenom": "Léo",
        "enfant1_naissance": "14/03/2021",
        "enfant1_ecole": "École maternelle Les Tilleuls",
        "enfant1_classe": "MS",
        "enfant1_regime": "sans porc",
        "enfant1_pai": "non",
    }
    dataset = tablib.Dataset(headers=HOUSEHOLD_COLUMNS)
    dataset.append([example.get(column, "") for column in HOUSEHOLD_COLUMNS])
    return dataset
