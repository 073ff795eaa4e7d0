"""Portal accounts: activation of a guardian's login, forgotten password, change of email.

Tokens need no table: the activation token is Django's password-reset HMAC computed over the
guardian's state (it dies once the email is verified or the password set), and the email-change
token is a signed payload bound to the account's state: its address, when it was last verified and
its password (it dies once the address changed, even back to the same one).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core import emails
from core.models import EmailLog, Guardian, User
from core.services import french_dates
from core.services.deadlines import PARIS

EMAIL_CHANGE_SALT = "core.accounts.email-change"
EMAIL_CHANGE_MAX_AGE = 2 * 24 * 3600


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """A password-reset token over a guardian rather than a user: the guardian may have no login
    yet. Any activation, password or email change invalidates the tokens already sent."""

    key_salt = "core.services.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, guardian, timestamp):
        verified = "" if guardian.email_verified_at is None else guardian.email_verified_at.replace(microsecond=0, tzinfo=None)
        password = guardian.user.password if guardian.user_id else ""
        return f"{guardian.pk}{guardian.email}{verified}{password}{timestamp}"


activation_token_generator = ActivationTokenGenerator()


def _absolute(path):
    return f"{settings.SITE_URL}{path}"


def _validity_days():
    return max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 3600))


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def password_reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _absolute(reverse("portail:password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


def build_access_link(spec: dict) -> str | None:
    """The link an email's `access_link` names, built now with a fresh token, or None when its
    account no longer exists. Called when the email is sent, never stored."""
    kind = spec.get("kind")
    if kind == "activation":
        guardian = Guardian.objects.select_related("user").filter(pk=spec.get("guardian")).first()
        return activation_url(guardian) if guardian else None
    if kind == "password_reset":
        user = User.objects.filter(pk=spec.get("user"), is_active=True).first()
        return password_reset_url(user) if user else None
    if kind == "email_change":
        guardian = Guardian.objects.select_related("user").filter(pk=spec.get("guardian")).first()
        return email_change_url(guardian, spec.get("to")) if guardian and spec.get("to") else None
    return None


def activation_url(guardian: Guardian) -> str:
    uid = urlsafe_base64_encode(force_bytes(guardian.pk))
    token = activation_token_generator.make_token(guardian)
    return _absolute(reverse("portail:activate", kwargs={"uidb64": uid, "token": token}))


def guardian_for_activation(*, guardian_id: int | str, token: str) -> Guardian | None:
    """The guardian an activation link is for, or None when the link is wrong, used or expired."""
    guardian = Guardian.objects.select_related("user", "household").filter(pk=guardian_id).first()
    if guardian is None or not guardian.email or guardian.has_activated_account:
        return None
    if not activation_token_generator.check_token(guardian, token):
        return None
    return guardian


@transaction.atomic
def guardian_send_activation(*, guardian: Guardian) -> EmailLog | None:
    """Email the guardian a single-use, expiring « Choisir un mot de passe » link; an activated
    account or a guardian without email gets nothing (returns None)."""
    if not guardian.email or guardian.has_activated_account:
        return None
    [log] = emails.queue_email(
        kind="account_activation",
        recipients=[guardian.email],
        context={"guardian": guardian, "validity_days": _validity_days()},
        household=guardian.household,
        access_link={"kind": "activation", "guardian": guardian.pk},
    )
    return log


@transaction.atomic
def guardian_activate(*, guardian: Guardian, password: str, now: datetime.datetime | None = None) -> User:
    """Give the guardian a login with `password` (already validated), linking an existing user of
    the same email if there is one, and mark the email as verified: the link proved it."""
    now = now or timezone.now()
    guardian = Guardian.objects.select_for_update(of=("self",)).select_related("user").get(pk=guardian.pk)
    user = guardian.user
    if user is None:
        user = User.objects.filter(email__iexact=guardian.email).first()
        if user is not None and Guardian.objects.filter(user=user).exclude(pk=guardian.pk).exists():
            raise ValidationError("Cette adresse email est déjà utilisée par un autre compte.")
        if user is None:
            user = User(email=guardian.email, first_name=guardian.first_name, last_name=guardian.last_name)
    user.email = guardian.email
    user.is_active = True
    user.set_password(password)
    user.save()
    guardian.user = user
    guardian.email_verified_at = now
    guardian.save(update_fields=["user", "email_verified_at"])
    _forget_failed_logins(user.email)
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> EmailLog | None:
    """Send a reset link to the active login of `email`, or the activation link to a guardian who
    never activated; say nothing either way, so that the answer reveals no address."""
    email = normalize_email(email)
    if not email:
        return None
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is not None:
        return user_send_password_reset(user=user)
    guardian = Guardian.objects.filter(email__iexact=email, user__isnull=True).select_related("household").first()
    if guardian is not None:
        return guardian_send_activation(guardian=guardian)
    return None


@transaction.atomic
def user_send_password_reset(*, user: User) -> EmailLog | None:
    """Email an active login a fresh « Choisir un nouveau mot de passe » link, to its own address;
    returns the EmailLog, or None for an inactive login."""
    if not user.is_active or not user.email:
        return None
    guardian = Guardian.objects.filter(user=user).select_related("household").first()
    [log] = emails.queue_email(
        kind="password_reset",
        recipients=[user.email],
        context={"user": user, "guardian": guardian, "validity_days": _validity_days()},
        household=guardian.household if guardian else None,
        access_link={"kind": "password_reset", "user": user.pk},
    )
    return log


@transaction.atomic
def guardian_send_access_link(*, guardian: Guardian) -> EmailLog | None:
    """What staff send a parent who cannot log in: a new password-reset link to the guardian's
    own address, or the activation link when the account was never activated. Staff never see
    the link. Returns the EmailLog, or None when there is nowhere to send it."""
    if guardian.user_id and guardian.user.is_active and guardian.has_activated_account:
        return user_send_password_reset(user=guardian.user)
    return guardian_send_activation(guardian=guardian)


@transaction.atomic
def user_password_reset_done(*, user: User, now: datetime.datetime | None = None) -> User:
    """After a reset through the emailed link: the address is proven, and earlier failed logins
    no longer lock the account."""
    Guardian.objects.filter(user=user, email_verified_at__isnull=True).update(email_verified_at=now or timezone.now())
    _forget_failed_logins(user.email)
    return user


def _forget_failed_logins(email):
    from axes.utils import reset

    reset(username=email)


def _email_taken(email, *, guardian):
    return (
        Guardian.objects.filter(email__iexact=email).exclude(pk=guardian.pk).exists()
        or User.objects.filter(email__iexact=email).exclude(pk=guardian.user_id).exists()
    )


@transaction.atomic
def guardian_request_email_change(*, guardian: Guardian, new_email: str) -> EmailLog:
    """Send a confirmation link to the new address; nothing changes until it is followed."""
    new_email = normalize_email(new_email)
    if new_email == normalize_email(guardian.email):
        raise ValidationError("C'est déjà votre adresse email.")
    if _email_taken(new_email, guardian=guardian):
        raise ValidationError("Cette adresse email est déjà utilisée par un autre compte.")
    [log] = emails.queue_email(
        kind="email_change",
        recipients=[new_email],
        context={"guardian": guardian, "new_email": new_email, "validity_days": EMAIL_CHANGE_MAX_AGE // (24 * 3600)},
        household=guardian.household,
        access_link={"kind": "email_change", "guardian": guardian.pk, "to": new_email},
    )
    return log


def _email_change_state(guardian, new_email):
    """A digest of what the account is when the link is made: its address, when that address was
    last proven, its password, and the change asked. Any later change of address (even back to
    the same one), password or verification kills the link, so that it works once."""
    verified = "" if guardian.email_verified_at is None else guardian.email_verified_at.isoformat()
    password = guardian.user.password if guardian.user_id else ""
    value = f"{guardian.pk}|{normalize_email(guardian.email)}|{verified}|{password}|{normalize_email(new_email)}"
    return salted_hmac(EMAIL_CHANGE_SALT, value, algorithm="sha256").hexdigest()[:32]


def email_change_url(guardian, new_email):
    token = signing.dumps(
        {"g": guardian.pk, "to": new_email, "s": _email_change_state(guardian, new_email)}, salt=EMAIL_CHANGE_SALT
    )
    return _absolute(reverse("portail:email_change_confirm", kwargs={"token": token}))


@dataclass(frozen=True)
class EmailChange:
    guardian: Guardian
    new_email: str
    state: str


def email_change_from_token(*, token: str) -> EmailChange | None:
    """The pending change a confirmation link stands for, or None when it is wrong, expired, or
    anything changed on the account since it was sent (it was applied, or another was)."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return None
    guardian = Guardian.objects.select_related("user").filter(pk=data.get("g")).first()
    new_email = data.get("to")
    if guardian is None or not isinstance(new_email, str) or not isinstance(data.get("s"), str):
        return None
    if not constant_time_compare(data["s"], _email_change_state(guardian, new_email)):
        return None
    return EmailChange(guardian=guardian, new_email=new_email, state=data["s"])


@transaction.atomic
def guardian_confirm_email_change(*, token: str, now: datetime.datetime | None = None) -> Guardian | None:
    """Apply a confirmed change of email to the guardian and their login alike, mark the new
    address as verified, and tell the old address. Returns the guardian, or None for a dead link."""
    change = email_change_from_token(token=token)
    if change is None:
        return None
    now = now or timezone.now()
    guardian = Guardian.objects.select_for_update(of=("self",)).select_related("user", "household").get(
        pk=change.guardian.pk
    )
    # Checked again under the lock: of two clicks at once, the second finds the link dead.
    if not constant_time_compare(change.state, _email_change_state(guardian, change.new_email)):
        return None
    if _email_taken(change.new_email, guardian=guardian):
        raise ValidationError("Cette adresse email est déjà utilisée par un autre compte.")
    old_email = guardian.email
    guardian.email = change.new_email
    guardian.email_verified_at = now
    guardian.save(update_fields=["email", "email_verified_at"])
    if guardian.user is not None:
        guardian.user.email = change.new_email
        guardian.user.save(update_fields=["email"])
    _send_email_changed_notice(guardian=guardian, old_email=old_email, now=now)
    return guardian


def _send_email_changed_notice(*, guardian, old_email, now):
    """The old address hears of the change, so that a stolen session cannot quietly take the
    account: the new address is only hinted at, in case the old mailbox is no longer theirs."""
    local = now.astimezone(PARIS)
    return emails.queue_email(
        kind="email_changed_notice",
        recipients=[old_email],
        context={
            "guardian": guardian,
            "masked_new_email": mask_email(guardian.email),
            "changed_on": f"{french_dates.full_label(local.date())} à {local:%H}h{local:%M}",
        },
        household=guardian.household,
    )


def mask_email(address: str) -> str:
    """"nouveau@example.org" → "no***@e***.org": enough for its owner to recognise it, not to
    read it. The local part keeps its first two characters (one when it is that short), the
    domain its first character and its last label."""
    local, _, domain = address.rpartition("@")
    kept = local[:2] if len(local) > 3 else local[:1]
    name, dot, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}***{dot}{tld}" if name else f"{domain[:1]}***"
    return f"{kept}***@{masked_domain}"
