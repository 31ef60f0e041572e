"""Open credit of a payer: what a credit source can still give, and which sources pay an invoice.

A credit source is anything holding the payer's money that is not yet tied to an invoice: a credit
note, the unallocated remainder of a receipt, a deposit moved to credit, an advance received in
ERPNext. When open credit is applied automatically (the ``auto_apply_credit`` setting), the oldest
source pays first (posting date, then key), and each source gives all it can before the next one.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from school_fees.core.allocation import Allocation, OpenItem, allocate
from school_fees.core.errors import AllocationError
from school_fees.core.money import ZERO, Number, quantize


@dataclass(frozen=True)
class CreditSource:
	"""Open credit available in the source named ``key`` (e.g. ``"Credit Note/FCN-2026-00001"``)."""

	key: str
	available: Decimal
	posting_date: date


def credit_order(sources: list[CreditSource]) -> list[CreditSource]:
	"""Sources in the order they are used: oldest posting date first, then key."""
	return sorted(sources, key=lambda source: (source.posting_date, source.key))


def plan_credit_application(
	outstanding: Number, sources: list[CreditSource], precision: int = 2
) -> list[Allocation]:
	"""How much each source gives to pay ``outstanding``, oldest source first.

	Returns only non-zero amounts, in :func:`credit_order`. Guarantees: the amounts add up to
	``min(outstanding, total available)`` (nothing when ``outstanding <= 0``); no source gives more
	than it has available; a source gives something only if every older source is used up.

	Raises:
		AllocationError: a source key is repeated.
	"""
	keys = [source.key for source in sources]
	if len(set(keys)) != len(keys):
		raise AllocationError("A credit source appears more than once")
	if quantize(outstanding, precision) <= 0:
		return []
	# Sources are spent exactly like invoices receive money: greedily, in order. With the due date
	# set to the posting date, allocate()'s order is credit_order().
	items = [
		OpenItem(key=s.key, outstanding=s.available, due_date=s.posting_date, posting_date=s.posting_date)
		for s in sources
	]
	plan, _left = allocate(outstanding, items, precision)
	return plan


def check_source_use(label: str, available: Number, requested: Number, precision: int = 2) -> Decimal:
	"""Check that ``requested`` can be taken from a source that has ``available`` left.

	Returns ``requested`` rounded. ``label`` names the source in the error message.

	Raises:
		AllocationError: ``requested`` is not above zero, or exceeds ``available``.
	"""
	amount = quantize(requested, precision)
	limit = max(quantize(available, precision), quantize(ZERO, precision))
	if amount <= 0:
		raise AllocationError(f"The amount taken from {label} must be above zero, not {amount}")
	if amount > limit:
		raise AllocationError(f"{label} has only {limit} available; {amount} was requested")
	return amount
