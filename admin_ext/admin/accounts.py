from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from admin_ext.admin.base import BaseAdmin
from core.models import User
from core.services.accounts import user_send_password_reset
from core.services.two_factor import two_factor_reset


class EmailUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin, BaseAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        ("Droits", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ["send_password_reset", "reset_two_factor"]

    def get_readonly_fields(self, request, obj=None):
        # A parent's login is the guardian's address: it changes through the guardian's
        # « Changer l'adresse email », which the parent confirms.
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and hasattr(obj, "guardian"):
            return [*readonly, "email"]
        return readonly

    @admin.action(description="Envoyer un lien de réinitialisation", permissions=["change"])
    def send_password_reset(self, request, queryset):
        sent = [user.email for user in queryset if user_send_password_reset(user=user)]
        if sent:
            messages.success(request, f"Lien de réinitialisation envoyé à {', '.join(sent)}, à sa propre adresse.")

    @admin.action(description="Réinitialiser la double authentification", permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """For a lost phone: the next login leads to the setup page again (when it is required)."""
        users = [user for user in queryset if two_factor_reset(user=user)]
        if users:
            names = ", ".join(user.email for user in users)
            messages.success(request, f"Double authentification réinitialisée pour {names}.")
        else:
            messages.info(request, "Aucune double authentification à réinitialiser.")


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin, BaseAdmin):
    pass


# The second factor's secrets (authenticator keys, recovery codes) are never shown in the admin:
# staff manage their own on the setup page, and an administrator can only reset them.
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
