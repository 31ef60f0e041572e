"""The cached amounts of the app's documents, written back from the ledger.

ERPNext never writes the app's `outstanding_amount` (its list is hard-coded to Sales/Purchase
Invoice and Fees). So after every post and reversal, and on every Payment Ledger Entry submitted or
cancelled against one of the app's vouchers (ERPNext's Payment Reconciliation can move rows onto a
Fee Invoice), the figures are recomputed from the ledger inside the same transaction:

- Fee Invoice: outstanding, paid and the derived status (a change is audited and must be an allowed
  transition, see core.status);
- Credit Note and credit-opening Payment Allocations: remaining open credit;
- Deposit: the amount still held.
"""

from contextlib import contextmanager
from decimal import Decimal

import frappe
from frappe.utils import flt, getdate, nowdate

from school_fees import audit
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.status import invoice_status
from school_fees.ledger.balances import liability_balance, receivable_balance, receivable_balances

FEE_INVOICE = "Fee Invoice"
# The app's vouchers that hold open credit against themselves
CREDIT_DOCTYPES = ("Credit Note", "Payment Allocation")


def refresh_fee_invoice(name: str, as_of=None) -> str | None:
	"""Recompute paid_amount, outstanding_amount and status of a Fee Invoice from the Payment
	Ledger and write them back (audit-logging a status change). Returns the new status."""
	return refresh_fee_invoices([name], as_of).get(name)


def refresh_fee_invoices(names: list[str], as_of=None) -> dict[str, str]:
	"""refresh_fee_invoice for many invoices: two locking reads for all of them, then one write per
	invoice whose figures changed. Returns {name: status}."""
	if not names:
		return {}
	invoices = frappe.db.get_values(
		FEE_INVOICE,
		{"name": ("in", sorted(set(names)))},
		[
			"name",
			"company",
			"docstatus",
			"grand_total",
			"due_date",
			"status",
			"outstanding_amount",
			"paid_amount",
		],
		as_dict=True,
		order_by="name",
		for_update=True,
	)
	balances = receivable_balances(
		FEE_INVOICE, [row.name for row in invoices if row.docstatus == 1], for_update=True
	)
	today = getdate(as_of or nowdate())
	status_changes = []
	statuses = {
		invoice.name: write_back_invoice(invoice, balances.get(invoice.name), today, status_changes)
		for invoice in invoices
	}
	audit.log_rows(status_changes)
	return statuses


def write_back_invoice(invoice: frappe._dict, balance: Decimal | None, today, status_changes: list) -> str:
	"""Write the invoice's ledger figures back where they changed; a status change is checked against
	the life cycle (audit.audit_row) and its audit row added to `status_changes`."""
	grand_total = to_decimal(invoice.grand_total)
	if invoice.docstatus == 1:
		outstanding = balance
		paid = quantize(grand_total - outstanding)
	else:
		outstanding = ZERO if invoice.docstatus == 2 else grand_total
		paid = ZERO
	status = invoice_status(invoice.docstatus, grand_total, outstanding, getdate(invoice.due_date), today)
	values = {}
	if to_decimal(invoice.outstanding_amount) != outstanding:
		values["outstanding_amount"] = flt(outstanding)
	if to_decimal(invoice.paid_amount) != paid:
		values["paid_amount"] = flt(paid)
	if invoice.status != status:
		values["status"] = status
		status_changes.append(
			audit.audit_row(
				FEE_INVOICE, invoice.name, "Status Change", invoice.status, status, company=invoice.company
			)
		)
	if values:
		frappe.db.set_value(FEE_INVOICE, invoice.name, values, update_modified=False)
	return status


def refresh_credit_source(doctype: str, name: str) -> Decimal:
	"""Write back the open credit of a Credit Note or a receipt (Payment Allocation) from the
	Payment Ledger: the negative receivable balance against it."""
	remaining = max(-receivable_balance(doctype, name, for_update=True), ZERO)
	if frappe.get_meta(doctype).has_field("remaining_amount"):
		frappe.db.set_value(doctype, name, "remaining_amount", flt(remaining), update_modified=False)
	return remaining


def refresh_deposit(name: str) -> Decimal:
	"""Write back a Deposit's held amount from its balance on the deposit liability account."""
	deposit = frappe.db.get_value("Deposit", name, ["deposit_account", "docstatus"], as_dict=True)
	if not deposit:
		return ZERO
	held = ZERO
	if deposit.docstatus == 1:
		held = liability_balance(deposit.deposit_account, "Deposit", name, for_update=True)
	frappe.db.set_value("Deposit", name, "remaining_amount", flt(held), update_modified=False)
	return held


@contextmanager
def deferred():
	"""While posting the app's own vouchers: the Payment Ledger Entry hook leaves the write-back to
	the poster, which refreshes every voucher it posted against at once (refresh_against)."""
	previous = frappe.flags.school_fees_writeback_deferred
	frappe.flags.school_fees_writeback_deferred = True
	try:
		yield
	finally:
		frappe.flags.school_fees_writeback_deferred = previous


def refresh_against(rows: list[frappe._dict]) -> None:
	"""Write back every app voucher that GL `rows` (receivable rows with a party) are against."""
	against = {
		(row.against_voucher_type, row.against_voucher) for row in rows if row.party and row.against_voucher
	}
	refresh_fee_invoices([name for doctype, name in against if doctype == FEE_INVOICE])
	for doctype, name in sorted(against):
		if doctype in CREDIT_DOCTYPES:
			refresh_credit_source(doctype, name)


def on_payment_ledger_entry_change(doc, method=None) -> None:
	"""doc_event on Payment Ledger Entry submit/cancel: recompute the cached figures of the app's
	voucher the row is against (ERPNext's own tools post and delink such rows too)."""
	if frappe.flags.school_fees_writeback_deferred:
		return
	voucher_type, voucher_no = doc.against_voucher_type, doc.against_voucher_no
	if voucher_type == FEE_INVOICE:
		refresh_fee_invoice(voucher_no)
	elif voucher_type in CREDIT_DOCTYPES and frappe.db.exists(voucher_type, voucher_no):
		refresh_credit_source(voucher_type, voucher_no)
