"""Staff two-factor authentication (TOTP through django-otp, with single-use recovery codes).

Staff accounts hold every family's data and the money: a Régisseur, an Administrateur or a
superuser must confirm each admin login with a code from an authenticator app; a Gestionnaire may
choose to. Parents never are asked (the portal does not look at it)."""

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.services.roles import ADMINISTRATEUR, REGISSEUR

REQUIRED_FOR_ROLES = (REGISSEUR, ADMINISTRATEUR)
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"


def two_factor_required(user):
    """Whether `user` may use the admin only after a second factor."""
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name__in=REQUIRED_FOR_ROLES).exists()


def two_factor_enrolled(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_pending_device(*, user):
    """The authenticator-app key the setup page shows, kept until it is confirmed by a code (so
    that reloading the page does not change the QR code already scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def totp_confirm(*, user, token):
    """Confirm the pending key with a code from the app: it replaces any earlier one, and new
    recovery codes replace the old ones. Returns (device, recovery codes to show once), or None
    when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    if device is None or not device.verify_token(_digits(token)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user):
    """New single-use recovery codes for `user`, the old ones dead. Returns the codes."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def two_factor_verify(*, user, token):
    """The device that accepts `token` (a code from the app, or a recovery code, then used up),
    or None. django-otp throttles each device after failures."""
    token = "".join((token or "").split()).lower()
    if not token:
        return None
    # Six digits are an app's code, anything else a recovery code: a failure counts (and slows
    # down the next tries) only against the device it was meant for.
    devices = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        for device in devices.objects.select_for_update().filter(user=user, confirmed=True):
            if device.verify_token(token):
                return device
    return None


@transaction.atomic
def two_factor_reset(*, user):
    """Forget `user`'s second factor (a lost phone): their next admin login leads to the setup
    page when it is required. Returns how many devices were removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    return removed


def _digits(token):
    return "".join(ch for ch in (token or "") if ch.isdigit())
