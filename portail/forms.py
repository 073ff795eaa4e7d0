"""Forms of the portal pages: French labels, browser hints for password managers and phones."""

import datetime
import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from core.models import Activity, Enrolment, Guardian, User
from core.services import french_dates
from core.services.calendar import check_within_horizon
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


class PeriodForm(forms.Form):
    """« Réserver sur une période »: the children (siblings together), one activity, two dates and
    the weekdays. Only the household's children and activities are offered; the booking rules
    themselves are checked by core.services.basket.basket_add_period."""

    children = ChildChoiceField(
        label="Enfant(s)", queryset=None, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )
    activity = forms.ModelChoiceField(
        label="Prestation", queryset=None, empty_label=None,
        error_messages={"invalid_choice": "Choisissez une prestation de la liste."},
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
        enrolled = Enrolment.objects.accepted().filter(child__household=household).values("activity_id")
        activities = Activity.objects.filter(is_active=True, pk__in=enrolled).order_by("position", "name")
        self.fields["activity"].queryset = activities
        weekdays = sorted({day for activity in activities for day in activity.weekdays}) or list(range(5))
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
        children, activity = cleaned.get("children"), cleaned.get("activity")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "La date de fin doit suivre la date de début.")
        if children and activity:
            enrolled = set(
                Enrolment.objects.accepted().filter(child__in=children, activity=activity).values_list("child_id", flat=True)
            )
            for child in children:
                if child.pk not in enrolled:
                    self.add_error("children", f"{child.first_name} n'est pas inscrit(e) à « {activity.name} ».")
        return cleaned
