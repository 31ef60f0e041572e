"""A fee receipt made from a bank line is reconciled with that line by ERPNext's own function.

`reconcile_vouchers` is what the Bank Reconciliation Tool's "Reconcile" calls: it adds the voucher to
the Bank Transaction's `payment_entries` (allocated amount read from the voucher's GL row on the
bank's ledger account), sets the line's allocated / unallocated amounts and its status, and sets the
voucher's `clearance_date` to the line's date (Payment Allocation is one of the app's
`bank_reconciliation_doctypes`, see integrations.bank_reconciliation). It saves the Bank Transaction
as the session user, so the user needs write permission on it (school_fees.bank_receipts checks
this before it creates anything).
"""

import json

import frappe
from frappe.utils import flt

from erpnext.accounts.doctype.bank_reconciliation_tool.bank_reconciliation_tool import reconcile_vouchers


def reconcile_bank_line(bank_transaction: str, voucher_type: str, voucher_no: str, amount) -> frappe._dict:
	"""Reconcile `bank_transaction` with one voucher; returns the line's status and amounts after."""
	transaction = reconcile_vouchers(
		bank_transaction,
		json.dumps([{"payment_doctype": voucher_type, "payment_name": voucher_no, "amount": flt(amount)}]),
	)
	return frappe._dict(
		status=transaction.status,
		allocated_amount=transaction.allocated_amount,
		unallocated_amount=transaction.unallocated_amount,
	)
