"""Document types and the households' documents: upload and review go through
core.services.documents; files are streamed to staff who may view them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.decorators import display

from admin_ext.admin.base import BaseAdmin
from core.models import DocumentType, HouseholdDocument
from core.services.documents import (
    ACCEPT_ATTRIBUTE,
    DocumentError,
    document_check_file,
    document_file_response,
    document_review,
    document_upload,
)
from core.services.rgpd import retention_periods


@admin.register(DocumentType)
class DocumentTypeAdmin(BaseAdmin):
    list_display = ["name", "code", "validity_months", "carries_quotient", "position"]
    list_editable = ["position"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class DocumentAddForm(forms.ModelForm):
    upload = forms.FileField(label="Fichier", help_text="PDF, JPEG ou PNG, 10 Mo au plus.",
                             widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))

    class Meta:
        model = HouseholdDocument
        fields = ["household", "document_type", "valid_from"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        try:
            document_check_file(upload)
        except DocumentError as error:
            raise ValidationError(str(error)) from error
        return upload


class DocumentReviewForm(forms.ModelForm):
    class Meta:
        model = HouseholdDocument
        fields = ["status", "review_note", "valid_from", "valid_until"]

    def clean(self):
        data = super().clean()
        if data.get("status") == HouseholdDocument.Status.REFUSED and not (data.get("review_note") or "").strip():
            self.add_error("review_note", "Indiquez le motif du refus : il est envoyé à la famille.")
        return data


class ExpiryFilter(admin.SimpleListFilter):
    title = "validité"
    parameter_name = "validite"

    def lookups(self, request, model_admin):
        return [("valable", "Valable aujourd'hui"), ("bientot", "Expire dans les 60 jours"), ("expire", "Expiré")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "valable":
            return queryset.usable_on(today)
        if self.value() == "bientot":
            return queryset.expiring_between(today, today + timezone.timedelta(days=60))
        if self.value() == "expire":
            return queryset.filter(valid_until__lt=today)
        return queryset


@admin.register(HouseholdDocument)
class HouseholdDocumentAdmin(BaseAdmin):
    list_display = ["household", "document_type", "file_link", "valid_from", "valid_until", "status", "uploaded_at"]
    list_filter = ["status", "document_type", ExpiryFilter]
    search_fields = ["household__reference", "household__name", "original_name"]
    list_select_related = ["household", "document_type"]
    autocomplete_fields = ["household"]
    readonly_fields = ["household", "document_type", "file_link", "content_type", "size", "uploaded_by", "uploaded_at",
                       "reviewed_by", "reviewed_at"]
    date_hierarchy = "uploaded_at"
    list_before_template = "admin_ext/retention_policy.html"

    def retention_policy(self):
        periods = retention_periods()
        return (f"Conservation : les documents d'un foyer parti de la commune (date de départ sur sa fiche) sont "
                f"supprimés, fichiers compris, {periods['documents']} après son départ ; le foyer est anonymisé "
                f"{periods['households']} après son départ.")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DocumentReviewForm if obj else DocumentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["household", "document_type", "upload", "valid_from"]
        return ["household", "document_type", "file_link", ("content_type", "size"), ("uploaded_by", "uploaded_at"),
                "status", "review_note", ("valid_from", "valid_until"), ("reviewed_by", "reviewed_at")]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            try:
                document = document_upload(
                    household=form.cleaned_data["household"], document_type=form.cleaned_data["document_type"],
                    uploaded_file=form.cleaned_data["upload"], valid_from=form.cleaned_data["valid_from"],
                )
            except DocumentError as error:
                messages.error(request, str(error))
                raise
            obj.pk = document.pk
            obj.__dict__.update(HouseholdDocument.objects.get(pk=document.pk).__dict__)
            return
        status = form.cleaned_data["status"]
        if status == HouseholdDocument.Status.PENDING:
            obj.save(update_fields=["valid_from", "valid_until", "review_note", "status"])
            return
        document_review(
            document=obj, accept=status == HouseholdDocument.Status.ACCEPTED, reviewer=request.user,
            note=form.cleaned_data["review_note"], valid_from=form.cleaned_data["valid_from"],
            valid_until=form.cleaned_data["valid_until"],
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.file_view)
        return [path("<path:object_id>/fichier/", view, name="core_householddocument_file"), *super().get_urls()]

    def file_view(self, request, object_id):
        document = self.get_object(request, unquote(object_id))
        if document is None:
            raise Http404("Document introuvable")
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return document_file_response(document, download="telecharger" in request.GET)

    @display(description="Fichier")
    def file_link(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("admin:core_householddocument_file", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.original_name)
