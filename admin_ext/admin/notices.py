from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import BaseDialogForm

from admin_ext.admin.base import BaseAdmin, ReadOnlyTabularInline
from core.models import Notice, NoticeRecipient
from core.services import notices


class NoticeForm(forms.ModelForm):
    class Meta:
        model = Notice
        fields = "__all__"

    def clean(self):
        data = super().clean()
        criteria = (data.get("school"), data.get("activity"), data.get("first_day") and data.get("only_booked"))
        if not any(criteria) and not data.get("households"):
            raise forms.ValidationError(notices.NO_CRITERION)
        return data


class SendForm(BaseDialogForm):
    pass


class RecipientInline(ReadOnlyTabularInline):
    model = NoticeRecipient
    fields = ["household", "emailed_at"]
    verbose_name_plural = "destinataires"


@admin.register(Notice)
class NoticeAdmin(BaseAdmin):
    """Write the notice, save it to see who it reaches, then « Envoyer » (once). A sent notice is
    read-only: it was read by families; a correction is a new notice."""

    form = NoticeForm
    list_display = ["title", "audience", "by_email", "on_home", "shown_until", "sent_at", "sent_by"]
    list_filter = ["by_email", "on_home", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body"]
    autocomplete_fields = ["school", "activity", "households"]
    actions_detail = ["send_notice"]
    readonly_fields = ["preview", "closure", "created_by", "created_at", "sent_by", "sent_at"]
    fieldsets = (
        (None, {"fields": ("title", "body")}),
        ("Destinataires", {
            "description": "Les familles qui correspondent à tous les critères remplis ; ou seulement les foyers choisis.",
            "fields": (("school", "activity"), ("first_day", "last_day"), "only_booked", "households"),
        }),
        ("Diffusion", {"fields": (("by_email", "on_home"), "shown_until")}),
        ("Fermeture", {"fields": (("close_days", "closure_kind"), "closure")}),
        ("Avant l'envoi", {"fields": ("preview",)}),
        ("Suivi", {"fields": (("created_by", "created_at"), ("sent_by", "sent_at"))}),
    )

    def get_inlines(self, request, obj):
        return [RecipientInline] if obj and obj.sent_at else []

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.sent_at:
            return [f.name for f in Notice._meta.fields if f.name != "id"] + ["households", "preview"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.sent_at)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @display(description="Destinataires")
    def audience(self, obj):
        parts = [str(p) for p in (obj.school, obj.activity) if p]
        if obj.days:
            first, last = obj.days
            parts.append(f"{first:%d/%m}" if first == last else f"{first:%d/%m}–{last:%d/%m}")
        return " · ".join(parts) or "Foyers choisis"

    @display(description="Aperçu")
    def preview(self, obj):
        if not obj.pk:
            return "Enregistrez l'avis pour voir combien de familles il atteint."
        try:
            context = {"preview": notices.notice_preview(notice=obj), "notice": obj}
        except notices.NoticeError as error:
            context = {"error": str(error)}
        return render_to_string("admin_ext/notice_preview.html", context)

    def has_send_notice_permission(self, request, object_id=None):
        if not request.user.has_perm("core.change_notice"):
            return False
        return object_id is None or Notice.objects.filter(pk=object_id, sent_at__isnull=True).exists()

    @action(
        description="Envoyer", url_path="envoyer", permissions=["send_notice"], icon="send", variant=ActionVariant.PRIMARY,
        dialog={
            "title": "Envoyer l'avis",
            "description": "L'avis part aux familles affichées dans l'aperçu (email et/ou bandeau), et la fermeture "
            "demandée est créée. Un avis envoyé ne se modifie plus.",
            "form_class": SendForm,
            "form_submit_text": "Envoyer",
        },
    )
    def send_notice(self, request, form, object_id):
        try:
            notice = notices.notice_send(notice_id=int(object_id), by=request.user)
        except notices.NoticeError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Avis envoyé à {notice.recipients.count()} famille(s).")
        return redirect(reverse("admin:core_notice_change", args=[object_id]))
