"""Allocation of a receipt (or a credit, or a deposit) to a payer's open fee invoices.

Default rule: oldest due date first, then oldest posting date, then name; each invoice is closed in
full before the next one gets anything; what is left stays with the payer as credit. Users may edit
the proposal before submitting; :func:`validate_allocations` checks their rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from school_fees.core.errors import AllocationError
from school_fees.core.money import ZERO, Number, quantize


@dataclass(frozen=True)
class OpenItem:
	"""An open document that can receive money; ``key`` is its name (e.g. the Fee Invoice name)."""

	key: str
	outstanding: Decimal
	due_date: date
	posting_date: date


@dataclass(frozen=True)
class Allocation:
	"""Money given to the item named ``key``."""

	key: str
	amount: Decimal


def allocation_order(items: Iterable[OpenItem]) -> list[OpenItem]:
	"""Items in the order they receive money: due date, then posting date, then key."""
	return sorted(items, key=lambda item: (item.due_date, item.posting_date, item.key))


def _items_by_key(items: Iterable[OpenItem]) -> dict[str, OpenItem]:
	"""Index items by key; a repeated key is an error (the same invoice must not appear twice)."""
	by_key: dict[str, OpenItem] = {}
	for item in items:
		if item.key in by_key:
			raise AllocationError(f"{item.key} appears more than once among the open items")
		by_key[item.key] = item
	return by_key


def allocate(amount: Number, items: list[OpenItem], precision: int = 2) -> tuple[list[Allocation], Decimal]:
	"""Allocate ``amount`` greedily to ``items``, oldest due first.

	Returns ``(allocations, remainder)``: only allocations with an amount above zero, in allocation
	order, and the unallocated remainder (student credit). Items with nothing outstanding are
	skipped. Guarantees: ``sum(allocations) + remainder == quantize(amount)``; no allocation
	exceeds its item's outstanding; an item receives money only if every earlier item in
	:func:`allocation_order` is fully covered.

	Raises:
		AllocationError: ``amount`` is negative, or an item key is repeated.
	"""
	remaining = quantize(amount, precision)
	if remaining < 0:
		raise AllocationError(f"Cannot allocate a negative amount ({remaining})")
	_items_by_key(items)
	allocations: list[Allocation] = []
	for item in allocation_order(items):
		if remaining <= 0:
			break
		outstanding = quantize(item.outstanding, precision)
		if outstanding <= 0:
			continue
		given = min(outstanding, remaining)
		allocations.append(Allocation(key=item.key, amount=given))
		remaining -= given
	return allocations, remaining


def validate_allocations(
	amount: Number | None, items: list[OpenItem], requested: list[Allocation], precision: int = 2
) -> None:
	"""Check allocation rows edited by a user against the open items.

	Rows may be zero. ``amount`` None means the total is not limited (e.g. checked elsewhere).

	Raises:
		AllocationError: a row names an unknown or repeated key, is negative, exceeds its item's
			outstanding amount, or the rows together exceed ``amount``.
	"""
	by_key = _items_by_key(items)
	seen: set[str] = set()
	total = quantize(0, precision)
	for row in requested:
		if row.key not in by_key:
			raise AllocationError(f"{row.key} is not an open item of this payer")
		if row.key in seen:
			raise AllocationError(f"{row.key} is allocated more than once")
		seen.add(row.key)
		row_amount = quantize(row.amount, precision)
		if row_amount < 0:
			raise AllocationError(f"Allocation to {row.key} must not be negative ({row_amount})")
		outstanding = max(quantize(by_key[row.key].outstanding, precision), ZERO)
		if row_amount > outstanding:
			raise AllocationError(
				f"Allocation to {row.key} ({row_amount}) exceeds its outstanding amount ({outstanding})"
			)
		total += row_amount
	if amount is not None:
		limit = quantize(amount, precision)
		if total > limit:
			raise AllocationError(f"Total allocated ({total}) exceeds the amount available ({limit})")
