import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.http import HttpResponse
from django.urls import path, reverse
from import_export.formats.base_formats import CSV, XLSX
from import_export.admin import ImportExportMixin
from unfold.admin import StackedInline, TabularInline
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.decorators import action, display
from unfold.forms import BaseDialogForm

from admin_ext.admin.base import BaseAdmin, HistoryAdmin
from admin_ext.admin.dialogs import confirm_dialog
from admin_ext.resources import HouseholdResource, household_template_dataset
from core.models import Child, Guardian, Household, HouseholdDocument, QuotientFamilial
from core.services.accounts import (
    guardian_request_email_change,
    guardian_send_access_link,
    guardian_send_activation,
)
from core.services.certificates import CertificateError, tax_certificates_send
from core.services.reminders import household_set_reminders
from core.services.rgpd import household_anonymise, household_export, retention_periods


def _send_to_each(request, guardians, send, *, sent_message, skipped_message):
    """Call `send(guardian=…)` for each guardian; say who was sent the email (`sent_message`) and who
    was not, `send` having returned a false value (`skipped_message`). Both are formatted with {names}."""
    sent, skipped = [], []
    for guardian in guardians:
        (sent if send(guardian=guardian) else skipped).append(guardian)
    if sent:
        messages.success(request, sent_message.format(names=", ".join(f"{g.display_name} ({g.email})" for g in sent)))
    if skipped:
        messages.warning(request, skipped_message.format(names=", ".join(g.display_name for g in skipped)))


def send_activation(request, guardians):
    """Send the « Choisir un mot de passe » email to each guardian who can receive it, and say
    who could not."""
    _send_to_each(
        request, guardians, guardian_send_activation,
        sent_message="Email d'activation envoyé à {names}.",
        skipped_message="Pas d'email d'activation pour {names} : compte déjà activé ou adresse email manquante.",
    )


class GuardianInline(StackedInline):
    model = Guardian
    extra = 0
    fields = [
        ("civility", "first_name", "last_name"),
        ("email", "is_billing_contact"),
        ("phone_mobile", "phone_home", "phone_work"),
        ("address_line1", "address_line2"),
        ("postal_code", "city"),
        ("user", "email_verified_at"),
    ]
    readonly_fields = ["user", "email_verified_at"]
    show_change_link = True


class ChildInline(TabularInline):
    model = Child
    extra = 0
    fields = ["first_name", "last_name", "birth_date", "school", "grade", "has_pai", "diet", "allergies"]
    show_change_link = True


class QuotientInline(TabularInline):
    model = QuotientFamilial
    extra = 0
    fields = ["value", "valid_from", "source"]


@admin.register(Household)
class HouseholdAdmin(HistoryAdmin, ImportExportMixin, BaseAdmin):
    list_display = ["reference", "name", "city", "is_resident", "current_quotient", "children_count", "left_on"]
    list_filter = ["is_resident", ("left_on", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "name", "guardians__last_name", "guardians__email", "children__first_name"]
    inlines = [GuardianInline, ChildInline, QuotientInline]
    readonly_fields = ["anonymised_at", "reminders_disabled", "documents_list"]
    fieldsets = (
        (None, {"fields": (("reference", "name"), "is_resident", ("left_on", "anonymised_at"))}),
        ("Adresse", {"fields": ("address_line1", "address_line2", ("postal_code", "city"))}),
        ("Notes", {"fields": ("notes", "reminders_disabled")}),
        ("Documents", {"fields": ("documents_list",)}),
    )
    resource_classes = [HouseholdResource]
    formats = [XLSX, CSV]
    import_form_class = ImportForm
    export_form_class = ExportForm
    import_template_name = "admin_ext/household_import.html"
    actions_detail = ["export_personal_data", "toggle_reminders"]
    actions = ["anonymise_selected", "send_tax_certificates"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "left_on":
            periods = retention_periods()
            field.help_text = (f"Ses documents sont supprimés {periods['documents']} après cette date, le foyer est "
                               f"anonymisé {periods['households']} après.")
        return field

    @action(description="Exporter ses données (RGPD)", icon="download", permissions=["view"])
    def export_personal_data(self, request, object_id):
        household = get_object_or_404(Household, pk=object_id)
        payload = json.dumps(household_export(household=household), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(payload, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="donnees-foyer-{household.reference}.json"'
        return response

    def has_toggle_reminders_permission(self, request, object_id=None):
        # The régisseur follows up unpaid invoices: the invoices' permission, not the family's.
        return request.user.has_perm("core.change_invoice")

    @action(
        description="Activer / désactiver les relances", url_path="relances", icon="notifications_off",
        permissions=["toggle_reminders"],
        dialog=confirm_dialog(
            "Relances automatiques", "Confirmer",
            "Désactive les relances automatiques des factures de ce foyer si elles sont actives, les "
            "réactive sinon. Une relance peut toujours être envoyée à la main depuis la facture.",
        ),
    )
    def toggle_reminders(self, request, form, object_id):
        household = get_object_or_404(Household, pk=object_id)
        enabled = household_set_reminders(household_id=household.pk, enabled=household.reminders_disabled, by=request.user)
        messages.success(
            request, "Relances automatiques réactivées." if enabled else "Relances automatiques désactivées pour ce foyer."
        )
        return redirect(reverse("admin:core_household_change", args=[object_id]))

    def has_send_tax_certificates_permission(self, request):
        return request.user.has_perm("core.change_invoice")

    @action(description="Envoyer l'attestation fiscale de l'an dernier", permissions=["send_tax_certificates"],
            icon="receipt")
    def send_tax_certificates(self, request, queryset):
        from django.utils import timezone

        year = timezone.localdate().year - 1
        try:
            result = tax_certificates_send(household_ids=list(queryset.values_list("pk", flat=True)), year=year)
        except CertificateError as error:
            messages.error(request, str(error))
            return
        if result["sent"]:
            messages.success(request, f"Attestation fiscale {year} envoyée à {len(result['sent'])} foyer(s).")
        if result["nothing"]:
            messages.info(request, f"{len(result['nothing'])} foyer(s) sans frais de garde ouvrant droit en {year}.")
        if result["no_email"]:
            names = ", ".join(h.reference for h in result["no_email"])
            messages.warning(request, f"Sans adresse email, attestation non envoyée : {names}.")

    @admin.action(description="Anonymiser les foyers partis sélectionnés (RGPD)", permissions=["delete"])
    def anonymise_selected(self, request, queryset):
        gone = list(queryset.filter(left_on__isnull=False, anonymised_at__isnull=True))
        for household in gone:
            household_anonymise(household=household)
        skipped = queryset.count() - len(gone)
        if gone:
            messages.success(request, f"{len(gone)} foyer(s) anonymisé(s) ; leurs factures émises sont conservées.")
        if skipped:
            messages.warning(
                request, f"{skipped} foyer(s) ignoré(s) : sans date de départ de la commune, ou déjà anonymisé(s)."
            )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_template_view)
        return [path("modele-import/", view, name="core_household_import_template"), *super().get_urls()]

    def import_template_view(self, request):
        """The families spreadsheet template (docs/import-familles.md), xlsx or csv."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        export = "csv" if request.GET.get("format") == "csv" else "xlsx"
        dataset = household_template_dataset()
        if export == "csv":
            response = HttpResponse("\ufeff" + dataset.export("csv"), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                dataset.export("xlsx"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
        response["Content-Disposition"] = f'attachment; filename="modele-import-familles.{export}"'
        return response

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("guardians", "children__school")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(children_total=Count("children")).prefetch_related("quotients")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Guardian:
            new_with_email = [g for g in formset.new_objects if g.email]
            if new_with_email:
                send_activation(request, new_with_email)

    @display(description="Documents du foyer")
    def documents_list(self, obj):
        """What the household holds, each opening through the documents admin's checked view."""
        from django.urls import reverse
        from django.utils.html import format_html, format_html_join

        if obj is None or obj.pk is None:
            return "—"
        documents = HouseholdDocument.objects.for_household(obj).select_related("document_type")
        rows = [(reverse("admin:core_householddocument_file", args=[d.pk]), d.original_name, d.document_type.name,
                 d.get_status_display().lower(), f" jusqu'au {d.valid_until:%d/%m/%Y}" if d.valid_until else "")
                for d in documents]
        if not rows:
            return "Aucun document."
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li><a href="{}" target="_blank" rel="noopener">{}</a> — {}, {}{}</li>', rows))

    @display(description="Enfants", ordering="children_total")
    def children_count(self, obj):
        return obj.children_total

    @display(description="QF actuel")
    def current_quotient(self, obj):
        from django.utils import timezone

        value = obj.quotient_on(timezone.localdate())
        return f"{value} €" if value is not None else "—"


def send_access_link(request, guardians):
    """Send each guardian a fresh link to their own address (reset, or activation when the
    account was never activated): how staff help a parent who cannot log in, without ever
    seeing a link themselves."""
    _send_to_each(
        request, guardians, guardian_send_access_link,
        sent_message="Lien de réinitialisation envoyé à {names}, à sa propre adresse.",
        skipped_message="Pas de lien envoyé à {names} : adresse email manquante ou compte désactivé.",
    )


class EmailChangeForm(BaseDialogForm):
    new_email = forms.EmailField(label="Nouvelle adresse email")


@admin.register(Guardian)
class GuardianAdmin(HistoryAdmin, BaseAdmin):
    list_display = ["name", "household", "email", "phone_mobile", "is_billing_contact", "has_account"]
    list_filter = ["is_billing_contact", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["last_name", "first_name", "email", "household__reference", "household__name"]
    list_select_related = ["household"]
    autocomplete_fields = ["household"]
    readonly_fields = ["user", "email_verified_at"]
    actions = ["send_activation_action", "send_access_link_action"]
    actions_detail = ["send_access_link_detail", "change_email_detail"]

    def get_readonly_fields(self, request, obj=None):
        # The address of an account is its login: it changes only when the parent proves the new
        # one (guardian_request_email_change), never by a staff edit a caller could talk them into.
        if obj is not None and obj.user_id is not None:
            return [*self.readonly_fields, "email"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.email:
            send_activation(request, [obj])

    def has_change_email_detail_permission(self, request, object_id=None):
        if not self.has_change_permission(request):
            return False
        return object_id is None or Guardian.objects.filter(pk=object_id, user__isnull=False).exists()

    @action(
        description="Changer l'adresse email", url_path="changer-email", icon="alternate_email",
        permissions=["change_email_detail"],
        dialog=confirm_dialog(
            "Changer l'adresse email", "Envoyer le lien de confirmation",
            "Le parent reçoit un lien à la nouvelle adresse : elle remplace l'ancienne, identifiant de "
            "connexion compris, quand il le suit. Rien ne change avant.", EmailChangeForm,
        ),
    )
    def change_email_detail(self, request, form, object_id):
        guardian = get_object_or_404(self.get_queryset(request).select_related("household", "user"), pk=object_id)
        try:
            guardian_request_email_change(guardian=guardian, new_email=form.cleaned_data["new_email"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Lien de confirmation envoyé à la nouvelle adresse : l'adresse changera quand le parent le suivra.")
        return redirect(reverse("admin:core_guardian_change", args=[guardian.pk]))

    @admin.action(description="Envoyer l'activation", permissions=["change"])
    def send_activation_action(self, request, queryset):
        send_activation(request, queryset.select_related("household", "user"))

    @admin.action(description="Envoyer un lien de réinitialisation", permissions=["change"])
    def send_access_link_action(self, request, queryset):
        send_access_link(request, queryset.select_related("household", "user"))

    @action(description="Envoyer un lien de réinitialisation", icon="lock_reset", permissions=["change"])
    def send_access_link_detail(self, request, object_id):
        guardian = get_object_or_404(self.get_queryset(request).select_related("household", "user"), pk=object_id)
        send_access_link(request, [guardian])
        return redirect(reverse("admin:core_guardian_change", args=[guardian.pk]))

    @display(description="Nom", ordering="last_name")
    def name(self, obj):
        return obj.display_name

    @display(description="Compte activé", boolean=True)
    def has_account(self, obj):
        return obj.has_activated_account


@admin.register(Child)
class ChildAdmin(HistoryAdmin, BaseAdmin):
    list_display = ["full_name", "household", "school", "grade", "has_pai", "diet"]
    list_filter = ["school", "grade", "has_pai"]
    search_fields = ["first_name", "last_name", "household__reference", "household__name"]
    list_select_related = ["household", "school"]
    autocomplete_fields = ["household"]
