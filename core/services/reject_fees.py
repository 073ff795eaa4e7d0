"""A rejected direct debit's fee: how much it is, and how it is billed.

The fee is the régie's (Regie.sepa_reject_fee), fixed on the rejected debit when the reject is
recorded; none when the bank's reason is the creditor's own error. It is billed as a line « Frais
de rejet de prélèvement » on the household's next invoice of that régie: the next run bills every
household with a fee not yet on an invoice, even one with nothing else to pay that month. The
rejected invoice itself is never touched (issued invoices are immutable).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from core.constants import ZERO
from core.models import DirectDebit, InvoiceLine, Regie

# Reasons that are the creditor's error, not the family's: no fee is charged for them.
CREDITOR_ERROR_CODES = frozenset({"AG02", "AM05", "BE05"})


def reject_fee_for(*, regie: Regie, code: str) -> Decimal:
    """The fee a reject with this reason code costs the family: the régie's fee, or nothing when
    the reject is the creditor's error."""
    if code in CREDITOR_ERROR_CODES:
        return ZERO
    return regie.sepa_reject_fee or ZERO


def unbilled_reject_fees(*, regie: Regie) -> QuerySet:
    """The régie's rejected debits whose fee is not on any invoice yet (a draft's line counts: a
    recomputed or discarded draft deletes its lines, and the fee is unbilled again)."""
    billed = InvoiceLine.objects.filter(rejected_debit__isnull=False)
    return DirectDebit.objects.filter(
        mandate__regie=regie, status=DirectDebit.Status.REJECTED, reject_fee__gt=0
    ).exclude(pk__in=billed.values("rejected_debit"))


@dataclass
class FeeLineDraft:
    """A fee line of a draft invoice, shaped like core.services.billing.LineDraft."""

    rejected_debit: DirectDebit
    kind = InvoiceLine.Kind.REJECT_FEE
    child = None
    activity = None
    is_unbooked = False
    dates = ()
    quantity = 1

    @property
    def rejected_debit_id(self):
        return self.rejected_debit.pk

    @property
    def unit_price(self):
        return self.rejected_debit.reject_fee

    @property
    def amount(self):
        return self.rejected_debit.reject_fee

    @property
    def label(self):
        debit = self.rejected_debit
        return (
            f"Frais de rejet du prélèvement du {debit.debit_date:%d/%m/%Y} "
            f"(facture n° {debit.invoice.number}, motif {debit.reject_code})"
        )


def reject_fee_lines(*, regie: Regie, household_ids) -> dict[int, list[FeeLineDraft]]:
    """The fee lines each of these households' next invoice of the régie carries, by household id."""
    lines: dict[int, list[FeeLineDraft]] = {}
    debits = (
        unbilled_reject_fees(regie=regie)
        .filter(mandate__household_id__in=list(household_ids))
        .select_related("invoice", "mandate")
        .order_by("rejected_at", "pk")
    )
    for debit in debits:
        lines.setdefault(debit.mandate.household_id, []).append(FeeLineDraft(rejected_debit=debit))
    return lines


def households_with_unbilled_reject_fees(*, regie: Regie) -> QuerySet:
    """Ids of the households the régie's next run bills for a reject fee (a values() queryset)."""
    return unbilled_reject_fees(regie=regie).values("mandate__household")
