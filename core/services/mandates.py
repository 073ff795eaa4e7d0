"""SEPA direct debit mandates: a parent's request, staff validation, amendments, revocation, the
36-month lapse, and the pre-notified debit each issued invoice gets under an active mandate."""

import datetime
import re

from django.db import transaction
from django.utils import timezone
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.constants import ZERO
from core.models import DirectDebit, Guardian, Household, Invoice, Mandate, Regie, User

# SEPA rule: a mandate with no debit for 36 months lapses.
LAPSE_MONTHS = 36
# Characters the SEPA scheme allows in a RUM.
_RUM_FORBIDDEN = re.compile(r"[^A-Za-z0-9/?:().,'+ -]")


class MandateError(Exception):
    """A refused mandate action; the message is French, for the parent or staff. `field` names the
    input at fault (iban, holder_name, sign), for forms to show the message beside it."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.field = field


def iban_check(value: str) -> IBAN:
    """A SEPA IBAN, validated (check digits, national format) by schwifty; French error otherwise."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        raise MandateError("Saisissez l'IBAN du compte à débiter.", field="iban")
    try:
        iban = IBAN(compact)
    except SchwiftyException as error:
        raise MandateError("Cet IBAN n'est pas valide : vérifiez-le sur votre RIB.", field="iban") from error
    if not iban.in_sepa_zone:
        raise MandateError("Ce compte n'est pas dans la zone SEPA : le prélèvement n'est pas possible.", field="iban")
    return iban


def _bic_of(iban: IBAN) -> str:
    """The BIC derived from the IBAN's bank code when schwifty knows the bank, else empty (the bank
    file then says NOTPROVIDED, which SEPA allows)."""
    try:
        bic = iban.bic
    except SchwiftyException:
        return ""
    return str(bic) if bic else ""


def _same_bank(old_iban: str, new_iban: str) -> bool:
    try:
        old, new = IBAN(old_iban), IBAN(new_iban)
    except SchwiftyException:
        return False
    return old.country_code == new.country_code and old.bank_code == new.bank_code


def _rum(mandate: Mandate) -> str:
    rum = f"{mandate.regie.invoice_prefix}-{mandate.household.reference}-{mandate.pk:06d}"
    return _RUM_FORBIDDEN.sub("", rum)[:35]


def _holder(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise MandateError("Saisissez le nom du titulaire du compte.", field="holder_name")
    return name[:70]


def regies_offering_direct_debit():
    return Regie.objects.exclude(sepa_creditor_id="").exclude(sepa_creditor_iban="").order_by("name")


@transaction.atomic
def mandate_request(
    *,
    guardian: Guardian,
    regie: Regie,
    holder_name: str,
    iban: str,
    sign_online: bool = False,
    now: datetime.datetime | None = None,
) -> Mandate:
    """A parent asks for direct debit with a régie: one live mandate per household and régie, a
    valid SEPA IBAN, a unique RUM. Active at once when the régie lets parents sign by ticking and
    they did; otherwise it waits for staff to validate the signed paper mandate."""
    now = now or timezone.now()
    household = Household.objects.select_for_update().get(pk=guardian.household_id)
    if not regie.offers_direct_debit:
        raise MandateError(f"{regie} ne propose pas le prélèvement automatique.")
    if Mandate.objects.live().filter(household=household, regie=regie).exists():
        raise MandateError("Un mandat de prélèvement existe déjà pour cette régie : modifiez-le plutôt.")
    holder = _holder(holder_name)
    checked = iban_check(iban)
    online = bool(sign_online and regie.sepa_parent_can_sign)
    if regie.sepa_parent_can_sign and not sign_online:
        raise MandateError("Cochez la case de signature pour autoriser le prélèvement.", field="sign")
    mandate = Mandate.objects.create(
        regie=regie, household=household, rum=f"tmp-{now.timestamp()}-{household.pk}", holder_name=holder,
        iban=checked.compact, bic=_bic_of(checked), requested_at=now, requested_by=guardian,
        signature=Mandate.Signature.ONLINE if online else Mandate.Signature.PAPER,
        status=Mandate.Status.ACTIVE if online else Mandate.Status.PENDING,
        signed_on=timezone.localdate(now) if online else None, validated_at=now if online else None,
    )
    mandate.rum = _rum(mandate)
    mandate.save(update_fields=["rum"])
    return mandate


@transaction.atomic
def mandate_validate(
    *, mandate_id: int, by: User | None = None, signed_on: datetime.date | None = None, now: datetime.datetime | None = None
) -> Mandate:
    """Staff validate a signed mandate (or reactivate a suspended one): it applies from the next
    invoice run."""
    now = now or timezone.now()
    mandate = Mandate.objects.select_for_update().get(pk=mandate_id)
    if mandate.status not in (Mandate.Status.PENDING, Mandate.Status.SUSPENDED):
        raise MandateError(f"Mandat {mandate.rum} « {mandate.get_status_display().lower()} » : rien à valider.")
    mandate.status = Mandate.Status.ACTIVE
    mandate.signed_on = mandate.signed_on or signed_on or timezone.localdate(now)
    mandate.validated_at, mandate.validated_by, mandate.reject_count = now, by, 0
    mandate.save()
    return mandate


@transaction.atomic
def mandate_amend(
    *, mandate_id: int, holder_name: str, iban: str, household: Household | None = None, now: datetime.datetime | None = None
) -> Mandate:
    """A change of account is an amendment of the same mandate (same RUM): the next file carries
    the replaced account; a move to another bank makes the next debit a first one (SMNDA, FRST)."""
    now = now or timezone.now()
    mandates = Mandate.objects.select_for_update()
    if household is not None:
        mandates = mandates.filter(household=household)
    mandate = mandates.get(pk=mandate_id)
    if not mandate.is_live:
        raise MandateError("Ce mandat n'est plus en vigueur : faites une nouvelle demande.")
    holder = _holder(holder_name)
    checked = iban_check(iban)
    if checked.compact != mandate.iban:
        if not mandate.original_iban and mandate.status != Mandate.Status.PENDING and not mandate.needs_first:
            mandate.original_iban, mandate.original_bic = mandate.iban, mandate.bic
        if not _same_bank(mandate.iban, checked.compact):
            mandate.needs_first = True
        mandate.iban, mandate.bic = checked.compact, _bic_of(checked)
    mandate.holder_name, mandate.amended_at = holder, now
    mandate.save()
    return mandate


def _cancel_awaited_debits(mandate):
    """Debits not yet sent are dropped: their invoices become payable by card again."""
    return DirectDebit.objects.filter(mandate=mandate, status=DirectDebit.Status.SCHEDULED).update(
        status=DirectDebit.Status.CANCELLED
    )


@transaction.atomic
def mandate_revoke(
    *,
    mandate_id: int,
    reason: str,
    household: Household | None = None,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> Mandate:
    """The parent (their household's mandate only) or staff end a mandate; debits not yet sent are
    cancelled and their invoices offered for card payment."""
    now = now or timezone.now()
    mandates = Mandate.objects.select_for_update()
    if household is not None:
        mandates = mandates.filter(household=household)
    mandate = mandates.get(pk=mandate_id)
    if not mandate.is_live:
        raise MandateError("Ce mandat n'est déjà plus en vigueur.")
    mandate.status, mandate.ended_at = Mandate.Status.REVOKED, now
    who = "par la famille" if household is not None else f"par {(by.get_full_name() or by.email) if by else 'la régie'}"
    mandate.end_reason = f"Révoqué {who}" + (f" : {reason.strip()}" if reason and reason.strip() else "")
    mandate.save()
    _cancel_awaited_debits(mandate)
    return mandate


def _months_before(day: datetime.date, months: int) -> datetime.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return datetime.date(year, month + 1, min(day.day, 28))


@transaction.atomic
def mandates_lapse(*, now: datetime.datetime | None = None) -> list[int]:
    """SEPA rule: a mandate with no debit sent for 36 months (since signature when never used)
    lapses; its awaited debits are cancelled. Returns the lapsed mandates' ids."""
    now = now or timezone.now()
    limit = _months_before(timezone.localdate(now), LAPSE_MONTHS)
    lapsed = []
    for mandate in Mandate.objects.select_for_update().filter(status__in=(Mandate.Status.ACTIVE, Mandate.Status.SUSPENDED)):
        last = mandate.last_debit_on or mandate.signed_on or timezone.localdate(mandate.requested_at)
        if last < limit:
            mandate.status, mandate.ended_at = Mandate.Status.LAPSED, now
            mandate.end_reason = f"Aucun prélèvement depuis le {last:%d/%m/%Y} (36 mois)."
            mandate.save()
            _cancel_awaited_debits(mandate)
            lapsed.append(mandate.pk)
    return lapsed


# --- pre-notification ---------------------------------------------------------------------------
def debit_date_for(*, regie: Regie, issue_date: datetime.date) -> datetime.date:
    """The collection date announced on an invoice: the régie's debit day of the month, no earlier
    than its pre-notification delay (14 days by default) after issue, moved off weekends."""
    earliest = issue_date + datetime.timedelta(days=regie.sepa_notice_days)
    day = earliest.replace(day=regie.sepa_debit_day) if earliest.day <= regie.sepa_debit_day else None
    if day is None:
        next_month = (earliest.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        day = next_month.replace(day=regie.sepa_debit_day)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def direct_debits_schedule(*, invoices: list[Invoice], issue_date: datetime.date, now: datetime.datetime) -> list[DirectDebit]:
    """At issue, each invoice of a household with an active mandate (validated before the issue)
    gets its debit, with the amount and date the invoice announces; its due date becomes the debit
    date when that is later. Call inside the issuing transaction, before the invoices are saved."""
    if not invoices:
        return []
    regie = invoices[0].regie
    if not regie.offers_direct_debit:
        return []
    mandates = {
        m.household_id: m
        for m in Mandate.objects.active().filter(
            regie=regie, household_id__in=[i.household_id for i in invoices], validated_at__lte=now
        )
    }
    debit_date = debit_date_for(regie=regie, issue_date=issue_date)
    debits = []
    for invoice in invoices:
        if invoice.household_id in mandates and invoice.total > ZERO:
            invoice.due_date = max(invoice.due_date, debit_date) if invoice.due_date else debit_date
            debits.append(
                DirectDebit(invoice=invoice, mandate=mandates[invoice.household_id], amount=invoice.total, debit_date=debit_date)
            )
    return DirectDebit.objects.bulk_create(debits)
