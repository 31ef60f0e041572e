"""ERPNext's own advance tools kept away from what School Fees already applied.

ERPNext's Payment Reconciliation and Sales Invoice advances know nothing of the app's allocations.
An ERPNext Payment Entry or Journal Entry advance the app applied to fee invoices (Apply Credit)
must not be allocated again by them: the Payment Entry / Journal Entry guards refuse to allocate
more than is left, and the Payment Reconciliation hook hides what is used up.
"""

import frappe
from frappe import _
from frappe.utils import flt, fmt_money

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.ledger.balances import applied_by_party, applied_from, applied_from_many
from school_fees.payments.allocation import used_by

ADVANCE_TYPES = ("Payment Entry", "Journal Entry")


class AdvanceAlreadyAppliedError(frappe.ValidationError):
	"""ERPNext tried to allocate an advance that School Fees already applied to fee invoices."""


def money(amount, currency: str | None = None) -> str:
	return fmt_money(flt(amount), currency=currency)


def guard_payment_entry_advance(doc, method=None) -> None:
	"""Payment Entry before_update_after_submit: ERPNext's reconciliation (Payment Reconciliation
	tool, Sales Invoice advances) re-saves the Payment Entry with new references and a smaller
	unallocated amount. Refuse when what stays unallocated is less than what School Fees already
	applied from this advance (the same money would be used twice)."""
	if doc.payment_type != "Receive" or doc.party_type != "Customer":
		return
	applied = applied_from(
		"Payment Entry", doc.name, "Payment Allocation", account=doc.paid_from, party=doc.party
	)
	if applied <= 0:
		return
	left = to_decimal(doc.unallocated_amount)
	if quantize(left) < applied:
		frappe.throw(
			_(
				"{0} of Payment Entry {1} was already applied to fee invoices by {2}. This allocation "
				"would leave only {3} unallocated; reduce it by {4}."
			).format(
				money(applied, doc.paid_from_account_currency),
				doc.name,
				", ".join(used_by("Payment Entry", doc.name)),
				money(left, doc.paid_from_account_currency),
				money(applied - left, doc.paid_from_account_currency),
			),
			AdvanceAlreadyAppliedError,
			title=_("Advance Already Applied"),
		)


def guard_journal_entry_advance(doc, method=None) -> None:
	"""Journal Entry before_update_after_submit: the same guard for a Journal Entry advance. ERPNext
	reconciles it by splitting the unreferenced credit row; what stays unreferenced for the customer
	must still cover what School Fees applied from it."""
	applied = applied_by_party("Journal Entry", doc.name, "Payment Allocation")
	for (account, party), amount in applied.items():
		if amount <= 0:
			continue
		unreferenced = sum(
			(
				to_decimal(row.credit_in_account_currency) - to_decimal(row.debit_in_account_currency)
				for row in doc.accounts
				if row.account == account
				and row.party_type == "Customer"
				and row.party == party
				and row.reference_type in (None, "", "Sales Order")
			),
			ZERO,
		)
		if quantize(unreferenced) < quantize(amount):
			frappe.throw(
				_(
					"{0} of Journal Entry {1} was already applied to fee invoices of {2} by {3}. This "
					"allocation would leave only {4} unallocated; reduce it by {5}."
				).format(
					money(amount),
					doc.name,
					party,
					", ".join(used_by("Journal Entry", doc.name)),
					money(unreferenced),
					money(amount - unreferenced),
				),
				AdvanceAlreadyAppliedError,
				title=_("Advance Already Applied"),
			)


def hide_applied_advances(doc, method=None, *args, **kwargs) -> None:
	"""Payment Reconciliation get_unreconciled_entries / reconcile (after ERPNext's method): ERPNext
	lists Payment Entries by their unallocated amount and Journal Entries by their unreferenced rows,
	neither of which knows about the app's allocations. Drop the advances School Fees used up, and
	show a Journal Entry's rows net of what was applied. A Payment Entry applied only in part keeps
	its amount (ERPNext checks it against the Payment Entry's own unallocated amount when
	reconciling); the Payment Entry guard refuses any allocation beyond what is left."""
	payments = doc.get("payments") or []
	if doc.party_type != "Customer" or not any(row.reference_type in ADVANCE_TYPES for row in payments):
		return
	applied = applied_from_many(
		[(row.reference_type, row.reference_name) for row in payments if row.reference_type in ADVANCE_TYPES],
		"Payment Allocation",
		account=doc.receivable_payable_account,
		party=doc.party,
	)
	if not any(amount > 0 for amount in applied.values()):
		return
	kept = []
	for row in payments:
		used = applied.get((row.reference_type, row.reference_name), ZERO)
		if used <= 0:
			kept.append(row)
			continue
		amount = to_decimal(row.amount)
		if row.reference_type == "Payment Entry":
			if row.get("reference_row") or amount - used > 0:
				kept.append(row)
			continue
		taken = min(amount, used)
		applied[(row.reference_type, row.reference_name)] = used - taken
		if amount - taken > 0:
			row.amount = flt(amount - taken)
			kept.append(row)
	for idx, row in enumerate(kept, start=1):
		row.idx = idx
	doc.set("payments", kept)
