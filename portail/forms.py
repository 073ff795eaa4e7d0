"""Forms of the portal pages: French labels, browser hints for password managers and phones."""

import datetime
import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from core.forms import MessageFilesField
from core.models import AbsenceReason, Activity, Child, Conversation, Enrolment, Guardian, User
from core.services import french_dates
from core.services.calendar import check_within_horizon
from core.services.certificates import AttestationKind
from core.services.documents import ACCEPT_ATTRIBUTE
from core.services.messages import MAX_BODY
from portail.absence_forms import certificate_field
from portail.throttling import password_recheck


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse email",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="Mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": "Adresse email ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé. Contactez la mairie.",
    }


class ChoosePasswordForm(forms.Form):
    """The activation page: a new password, twice, checked by Django's validators against the
    user the guardian is about to become."""

    new_password1 = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label="Confirmez le mot de passe", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, guardian, **kwargs):
        self.guardian = guardian
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "Les deux mots de passe ne sont pas identiques.")
        elif first:
            user = self.guardian.user or User(
                email=self.guardian.email, first_name=self.guardian.first_name, last_name=self.guardian.last_name
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Adresse email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"})
    )


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="Nouvelle adresse email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"})
    )
    password = forms.CharField(
        label="Mot de passe actuel",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Par sécurité, confirmez votre mot de passe.",
    )

    def __init__(self, *args, user, request, **kwargs):
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not password_recheck(self.request, self.user, password):
            raise forms.ValidationError("Mot de passe incorrect.")
        return password


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """« Changer de mot de passe »: the current password is checked like a login, its failures
    counted with the login's."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not password_recheck(self.request, self.user, old_password):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")


def normalize_phone(value):
    """French numbers as « 06 12 34 56 78 »; other international numbers kept as typed."""
    digits = PHONE_SEPARATORS.sub("", value or "")
    if not digits:
        return ""
    if digits.startswith("+33") and len(digits) == 12:
        digits = "0" + digits[3:]
    if re.fullmatch(r"0\d{9}", digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if re.fullmatch(r"\+\d{8,15}", digits):
        return value.strip()
    raise forms.ValidationError("Numéro de téléphone invalide : 10 chiffres, par exemple 06 12 34 56 78.")


class ContactForm(forms.ModelForm):
    """What a guardian may change about themselves: phones and postal address."""

    class Meta:
        model = Guardian
        fields = ["phone_mobile", "phone_home", "phone_work", "address_line1", "address_line2", "postal_code", "city"]
        labels = {
            "phone_mobile": "Téléphone portable",
            "phone_home": "Téléphone fixe",
            "phone_work": "Téléphone professionnel",
            "address_line1": "Adresse",
            "address_line2": "Complément d'adresse",
            "postal_code": "Code postal",
            "city": "Commune",
        }
        widgets = {
            "phone_mobile": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "phone_home": forms.TextInput(attrs={"type": "tel"}),
            "phone_work": forms.TextInput(attrs={"type": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    def clean_phone_mobile(self):
        return normalize_phone(self.cleaned_data["phone_mobile"])

    def clean_phone_home(self):
        return normalize_phone(self.cleaned_data["phone_home"])

    def clean_phone_work(self):
        return normalize_phone(self.cleaned_data["phone_work"])

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if value and not re.fullmatch(r"\d{5}", value):
            raise forms.ValidationError("Code postal invalide : 5 chiffres.")
        return value


class ChildChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


KIND_PREFIX = "kind:"
KIND_LABELS = {
    Activity.Kind.MEAL: "La cantine (le repas de chaque enfant, quelle que soit son école)",
    Activity.Kind.CHILDCARE: "La garderie (chaque garde à laquelle l'enfant est inscrit)",
}


def service_choices(household):
    """« La cantine » / « La garderie » (one action for siblings in different schools), then each
    activity the household's children are enrolled in."""
    enrolled = Enrolment.objects.accepted().filter(child__household=household).values("activity_id")
    activities = list(Activity.objects.filter(is_active=True, pk__in=enrolled).order_by("position", "name"))
    kinds = [k for k in KIND_LABELS if any(a.kind == k for a in activities)]
    choices = [(f"{KIND_PREFIX}{k}", KIND_LABELS[k]) for k in kinds]
    choices += [(str(a.pk), a.name) for a in activities]
    return activities, choices


def parse_service(value, activities):
    """(activity, kind) from a chosen service value; one of them is None."""
    if value.startswith(KIND_PREFIX):
        return None, value.removeprefix(KIND_PREFIX)
    return next(a for a in activities if str(a.pk) == value), None


class PeriodForm(forms.Form):
    """« Réserver sur une période »: the children (siblings together), one activity or a whole
    service (« la cantine »), two dates and the weekdays. Only the household's children and
    activities are offered; the booking rules themselves are checked by
    core.services.basket.basket_add_period."""

    children = ChildChoiceField(
        label="Enfant(s)", queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )
    activity = forms.ChoiceField(
        label="Prestation", error_messages={"invalid_choice": "Choisissez une prestation de la liste."},
    )
    start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="Au (inclus)", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    weekdays = forms.TypedMultipleChoiceField(
        label="Jours de la semaine", coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un jour de la semaine."},
    )

    def __init__(self, *args, household, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["children"].queryset = household.children.order_by("first_name")
        self.activities, self.fields["activity"].choices = service_choices(household)
        weekdays = sorted({day for activity in self.activities for day in activity.weekdays}) or list(range(5))
        self.fields["weekdays"].choices = [(day, french_dates.WEEKDAYS[day].capitalize()) for day in weekdays]
        self.fields["start"].initial = today + datetime.timedelta(days=7 - today.weekday())
        self.today = today

    def clean_start(self):
        check_within_horizon(self.cleaned_data["start"], today=self.today)
        return self.cleaned_data["start"]

    def clean_end(self):
        check_within_horizon(self.cleaned_data["end"], today=self.today)
        return self.cleaned_data["end"]

    def clean(self):
        cleaned = super().clean()
        children, service = cleaned.get("children"), cleaned.get("activity")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "La date de fin doit suivre la date de début.")
        activity, kind = parse_service(service, self.activities) if service else (None, None)
        cleaned["activity"], cleaned["kind"] = activity, kind
        if children and service:
            enrolled = Enrolment.objects.accepted().filter(child__in=children)
            enrolled = enrolled.filter(activity=activity) if activity else enrolled.filter(activity__kind=kind)
            enrolled = set(enrolled.values_list("child_id", flat=True))
            for child in children:
                if child.pk not in enrolled:
                    name = activity.name if activity else KIND_LABELS[kind].split(" (")[0].lower()
                    self.add_error("children", f"{child.first_name} n'est pas inscrit(e) à « {name} ».")
        return cleaned


PROPOSED_HELP = "Jours habituels de l'inscription, proposés : enregistrez la semaine type pour les garder."


class ModelWeekForm(forms.Form):
    """The model week of the household's children: per child and activity, the usual weekdays."""

    def __init__(self, *args, children, activities, weeks, proposed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for child in children:
            names = []
            for activity in activities.get(child.pk, []):
                name = f"semaine-{child.pk}-{activity.pk}"
                self.fields[name] = forms.TypedMultipleChoiceField(
                    label=f"{child.first_name} — {activity.name}", required=False, coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                    choices=[(d, french_dates.WEEKDAYS[d].capitalize()) for d in sorted(activity.weekdays)],
                    initial=weeks.get(child.pk, {}).get(activity.pk, []),
                    help_text=PROPOSED_HELP if (child.pk, activity.pk) in proposed else "",
                )
                names.append((activity, name))
            self.groups.append((child, names))

    def days_of(self, child):
        """activity id → weekdays chosen for `child`."""
        return {activity.pk: self.cleaned_data[name] for c, names in self.groups if c == child for activity, name in names}


class ModelWeekApplyForm(forms.Form):
    """Apply the saved model week of some children between two dates, optionally one service only."""

    children = ChildChoiceField(
        label="Enfant(s)", queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )
    kind = forms.ChoiceField(label="Service", required=False)
    start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="Au (inclus)", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, household, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = household.children.order_by("first_name")
        self.fields["kind"].choices = [("", "Toute la semaine type"), *((k, label.split(" (")[0]) for k, label in KIND_LABELS.items())]
        self.fields["start"].initial = today + datetime.timedelta(days=7 - today.weekday())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "La date de fin doit suivre la date de début.")
        return cleaned


class AbsenceForm(forms.Form):
    """« Déclarer une absence »: a child of the household, one day or several, a reason. Which days
    can be declared is decided by core.services.absences."""

    child = forms.ModelChoiceField(
        label="Enfant", queryset=None, widget=forms.RadioSelect, empty_label=None,
        error_messages={"required": "Choisissez l'enfant absent.", "invalid_choice": "Choisissez un enfant de votre foyer."},
    )
    start = forms.DateField(label="Du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(
        label="Au (inclus)", required=False, help_text="Laissez vide pour une seule journée.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.ModelChoiceField(
        label="Motif", queryset=None, empty_label=None, error_messages={"required": "Choisissez un motif."}
    )
    comment = forms.CharField(label="Précisions (facultatif)", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    certificate = certificate_field()

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = household.children.order_by("first_name")
        self.fields["child"].label_from_instance = lambda child: child.full_name
        self.fields["reason"].queryset = AbsenceReason.objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and not end:
            cleaned["end"] = start
        elif start and end and end < start:
            self.add_error("end", "La date de fin doit suivre la date de début.")
        return cleaned


# --- Mes inscriptions: the child's enrolment request ---------------------------------------------

PEOPLE_ROWS = 3


class EnrolmentRequestForm(forms.Form):
    """The request's page: services (and usual days), the health and authorisations form, the
    people to call or allowed to collect the child (three rows each, no script needed) and one file
    field per document asked. Rules (services offered, documents, statuses) stay in
    core.services.enrolment_requests."""

    allergies = forms.CharField(label="Allergies", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    diet = forms.CharField(label="Régime alimentaire", required=False, max_length=100,
                           help_text="Par exemple « sans porc », « végétarien ».")
    has_pai = forms.BooleanField(label="Mon enfant a un PAI (projet d'accueil individualisé)", required=False)
    pai_details = forms.CharField(label="Précisions sur le PAI", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    doctor_name = forms.CharField(label="Médecin traitant", required=False, max_length=150)
    doctor_phone = forms.CharField(label="Téléphone du médecin", required=False, max_length=20,
                                   widget=forms.TextInput(attrs={"type": "tel"}))
    photo_consent = forms.BooleanField(label="J'autorise la prise de photos de mon enfant lors des activités",
                                       required=False)
    may_leave_alone = forms.BooleanField(label="J'autorise mon enfant à partir seul", required=False)

    PEOPLE = (("emergency", "emergency_contacts"), ("authorised", "authorised_people"))

    def __init__(self, *args, enrolment_request, offered, asked_documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment_request, self.offered = enrolment_request, offered
        chosen = {rs.service_id: rs.weekdays for rs in enrolment_request.requested_services.all()}
        self.service_fields = []
        for service in offered:
            name = f"service_{service.pk}"
            self.fields[name] = forms.BooleanField(label=service.activity.name, required=False,
                                                   initial=service.pk in chosen)
            days = None
            if service.asks_days:
                days = f"days_{service.pk}"
                self.fields[days] = forms.TypedMultipleChoiceField(
                    label=f"Jours habituels — {service.activity.name}", required=False, coerce=int,
                    widget=forms.CheckboxSelectMultiple, initial=chosen.get(service.pk, []),
                    choices=[(d, french_dates.WEEKDAYS[d].capitalize()) for d in service.activity.weekdays])
            self.service_fields.append((self[name], self[days] if days else None))
        for field in ("allergies", "diet", "has_pai", "pai_details", "doctor_name", "doctor_phone", "photo_consent",
                      "may_leave_alone"):
            self.fields[field].initial = getattr(enrolment_request, field)
        if enrolment_request.child.grade not in enrolment_request.campaign.leave_alone_grades:
            del self.fields["may_leave_alone"]
        self.people_rows = {}
        for prefix, attribute in self.PEOPLE:
            saved = list(getattr(enrolment_request, attribute))
            rows = []
            for index in range(max(PEOPLE_ROWS, len(saved))):
                person = saved[index] if index < len(saved) else {}
                row = []
                for key, label, attrs in (("name", "Nom et prénom", {"autocomplete": "off"}),
                                          ("phone", "Téléphone", {"type": "tel"}),
                                          ("relation", "Lien avec l'enfant", {})):
                    name = f"{prefix}_{index}_{key}"
                    self.fields[name] = forms.CharField(label=label, required=False, max_length=100,
                                                        initial=person.get(key, ""), widget=forms.TextInput(attrs=attrs))
                    row.append(self[name])
                rows.append(row)
            self.people_rows[prefix] = rows
        self.document_fields = []
        for entry in asked_documents:
            name = f"document_{entry['type'].pk}"
            self.fields[name] = forms.FileField(
                label=entry["type"].name, required=False,
                help_text=(entry["type"].help_text + " " if entry["type"].help_text else "") + "PDF, JPEG ou PNG, 10 Mo au plus.",
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
            self.document_fields.append((entry, self[name]))

    def services(self):
        return {service.pk: self.cleaned_data.get(f"days_{service.pk}", []) for service in self.offered
                if self.cleaned_data.get(f"service_{service.pk}")}

    def health(self):
        data = {field: self.cleaned_data[field] for field in ("allergies", "diet", "has_pai", "pai_details", "doctor_name",
                                                              "doctor_phone", "photo_consent")}
        data["may_leave_alone"] = self.cleaned_data.get("may_leave_alone", False)
        for prefix, attribute in self.PEOPLE:
            data[attribute] = [
                {key: self.cleaned_data.get(f"{prefix}_{index}_{key}", "") for key in ("name", "phone", "relation")}
                for index in range(len(self.people_rows[prefix]))
            ]
        return data

    def uploads(self):
        return [(entry["type"], field.name, self.cleaned_data.get(field.name)) for entry, field in self.document_fields
                if self.cleaned_data.get(field.name)]


# --- « Créer mon compte famille » (public) ------------------------------------------------------

CHILD_ROWS = 4


class FamilyAccountRequestForm(forms.Form):
    """A new family's request: two guardians at most, four children rows (no script needed), and a
    field left empty by people and filled by robots."""

    family_name = forms.CharField(label="Nom de la famille", max_length=150)
    address_line1 = forms.CharField(label="Adresse", max_length=200,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    address_line2 = forms.CharField(label="Complément d'adresse", max_length=200, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    postal_code = forms.CharField(label="Code postal", max_length=5,
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}))
    city = forms.CharField(label="Commune", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    message = forms.CharField(label="Message à la mairie", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    website = forms.CharField(label="Ne pas remplir ce champ", required=False)  # honeypot

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.guardian_rows, self.child_rows = [], []
        for index in range(2):
            required = index == 0
            row = []
            for key, label, field in (
                ("first_name", "Prénom", forms.CharField(max_length=100, required=required)),
                ("last_name", "Nom", forms.CharField(max_length=100, required=required)),
                ("email", "Adresse email", forms.EmailField(required=required, widget=forms.EmailInput(attrs={"autocomplete": "email" if required else "off"}))),
                ("phone", "Téléphone portable", forms.CharField(max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"}))),
            ):
                field.label = label
                name = f"guardian_{index}_{key}"
                self.fields[name] = field
                row.append(self[name])
            self.guardian_rows.append(row)
        for index in range(CHILD_ROWS):
            row = []
            for key, label, field in (
                ("first_name", "Prénom", forms.CharField(max_length=100, required=False)),
                ("last_name", "Nom", forms.CharField(max_length=100, required=False)),
                ("birth_date", "Date de naissance", forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))),
                ("grade", "Classe à la rentrée", forms.ChoiceField(required=False, choices=[("", "—"), *Child.Grade.choices])),
            ):
                field.label = label
                name = f"child_{index}_{key}"
                self.fields[name] = field
                row.append(self[name])
            self.child_rows.append(row)

    def clean(self):
        data = super().clean()
        for index in range(2):
            name = f"guardian_{index}_phone"
            try:
                data[name] = normalize_phone(data.get(name, ""))
            except forms.ValidationError as error:
                self.add_error(name, error)
        second = [data.get(f"guardian_1_{k}") for k in ("first_name", "last_name", "email")]
        if any(second) and not all(second):
            self.add_error("guardian_1_email", "Pour le second responsable, indiquez prénom, nom et adresse email.")
        filled = 0
        for index in range(CHILD_ROWS):
            values = {k: data.get(f"child_{index}_{k}") for k in ("first_name", "last_name", "birth_date", "grade")}
            if not any(values.values()):
                continue
            filled += 1
            for key, value in values.items():
                if not value:
                    self.add_error(f"child_{index}_{key}", "Complétez ce champ pour cet enfant.")
        if not filled:
            self.add_error("child_0_first_name", "Indiquez au moins un enfant.")
        postal_code = (data.get("postal_code") or "").strip()
        if postal_code and not re.fullmatch(r"\d{5}", postal_code):
            self.add_error("postal_code", "Code postal invalide : 5 chiffres.")
        return data

    def is_robot(self):
        return bool(self.cleaned_data.get("website"))

    def guardians(self):
        return [{k: self.cleaned_data.get(f"guardian_{i}_{k}") or "" for k in ("first_name", "last_name", "email", "phone")}
                for i in range(2) if self.cleaned_data.get(f"guardian_{i}_last_name")]

    def children(self):
        return [{k: self.cleaned_data[f"child_{i}_{k}"] for k in ("first_name", "last_name", "birth_date", "grade")}
                for i in range(CHILD_ROWS) if self.cleaned_data.get(f"child_{i}_first_name")]

    def address(self):
        return {k: self.cleaned_data.get(k, "") for k in ("address_line1", "address_line2", "postal_code", "city")}


class AttestationForm(forms.Form):
    """« Attestation de paiement ou de présence » for a chosen period; the period's limits are
    checked by core.services.certificates."""

    kind = forms.ChoiceField(
        label="Attestation", choices=AttestationKind.CHOICES, widget=forms.RadioSelect,
        initial=AttestationKind.PAYMENTS, error_messages={"required": "Choisissez le type d'attestation."},
    )
    start = forms.DateField(
        label="Du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date de début.", "invalid": "Saisissez une date valide."},
    )
    end = forms.DateField(
        label="Au (inclus)", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date de fin.", "invalid": "Saisissez une date valide."},
    )


class MandateForm(forms.Form):
    """Prélèvement automatique: the account to debit. The IBAN is checked by the mandate service
    (schwifty), whose French message is shown beside the field."""

    regie = forms.ModelChoiceField(label="Régie", queryset=None, empty_label=None)
    holder_name = forms.CharField(
        label="Titulaire du compte", max_length=70, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    iban = forms.CharField(
        label="IBAN",
        max_length=42,
        help_text="Il figure sur votre RIB, par exemple FR76 3000 6000 0112 3456 7890 189.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    sign = forms.BooleanField(
        label="J'autorise la régie à prélever mes factures sur ce compte et je signe le mandat en cochant cette case.",
        required=False,
    )

    def __init__(self, *args, regies, can_sign, with_regie=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regie"].queryset = regies
        if not with_regie or regies.count() == 1:
            self.fields["regie"].widget = forms.HiddenInput()
            if regies.count() == 1:
                self.fields["regie"].initial = regies.first().pk
        if not with_regie:
            del self.fields["regie"]
        if not can_sign:
            del self.fields["sign"]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"id_mandat_{name}")

    def add_service_error(self, error):
        field = error.field if error.field in self.fields else None
        self.add_error(field, str(error))


class ConversationForm(forms.Form):
    """« Écrire à la mairie »: a subject from the list, a short object, the message."""

    subject = forms.ChoiceField(label="Sujet", choices=[("", "Choisissez un sujet"), *Conversation.Subject.choices])
    title = forms.CharField(label="Objet", max_length=150, help_text="En quelques mots, par exemple « Absence de Léa lundi ».")
    body = forms.CharField(label="Votre message", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}))
    files = MessageFilesField()



class ReplyForm(forms.Form):
    body = forms.CharField(label="Votre réponse", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 6}))
    files = MessageFilesField()
