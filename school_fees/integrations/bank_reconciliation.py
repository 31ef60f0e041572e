"""Bank reconciliation of the app's cash vouchers (receipts, refunds, deposits).

ERPNext's Bank Reconciliation Tool lists one checkbox per doctype of the `bank_reconciliation_doctypes`
hook (scrubbed: "payment_allocation", "deposit") and asks every app's `get_matching_queries` hook for
queries returning candidate vouchers with a `rank` (ERPNext's own vouchers score 1 + reference match
+ amount match + party match). Matching a voucher allocates the Bank Transaction to it and sets the
voucher's `clearance_date` (bank_transaction.clear_linked_payment_entry), which works for any doctype
of the hook whose GL has a row on the bank account; cancelling the voucher must take it off the Bank
Transactions again, as ERPNext's own vouchers do.
"""

import frappe
from frappe.query_builder import Case
from frappe.query_builder.custom import ConstantColumn
from frappe.utils import cint

from erpnext.accounts.doctype.bank_transaction.bank_transaction import remove_from_bank_transaction

PAYMENT_ALLOCATION = "payment_allocation"
DEPOSIT = "deposit"


def get_matching_queries(
	bank_account,
	company,
	transaction,
	document_types=None,
	exact_match=None,
	account_from_to=None,
	from_date=None,
	to_date=None,
	filter_by_reference_date=None,
	from_reference_date=None,
	to_reference_date=None,
	common_filters=None,
):
	"""Queries for the Bank Reconciliation Tool (same signature as ERPNext's hook caller,
	bank_reconciliation_tool.get_queries). `bank_account` is the bank's GL account."""
	document_types = document_types or []
	dates = (from_date, to_date, filter_by_reference_date, from_reference_date, to_reference_date)
	queries = []
	if PAYMENT_ALLOCATION in document_types:
		allocation_type = "Receipt" if transaction.deposit > 0.0 else "Refund"
		queries.append(
			matching_query(
				"Payment Allocation", bank_account, company, transaction, exact_match, dates, allocation_type
			)
		)
	if DEPOSIT in document_types and transaction.deposit > 0.0:
		queries.append(matching_query("Deposit", bank_account, company, transaction, exact_match, dates))
	return queries


def matching_query(doctype, bank_account, company, transaction, exact_match, dates, allocation_type=None):
	"""Submitted, uncleared vouchers of `doctype` paid to/from `bank_account`, ranked like ERPNext's
	Payment Entry matches: 1 + reference number + amount + party."""
	from_date, to_date, filter_by_reference_date, from_reference_date, to_reference_date = dates
	table = frappe.qb.DocType(doctype)
	amount = table.paid_amount if doctype == "Payment Allocation" else table.amount

	amount_equality = amount == transaction.unallocated_amount
	ref_condition = table.reference_no == transaction.reference_number
	rank = Case().when(ref_condition, 1).else_(0) + Case().when(amount_equality, 1).else_(0) + 1
	if transaction.party_type == "Customer" and transaction.party:
		rank = rank + Case().when(table.customer == transaction.party, 1).else_(0)
	query = (
		frappe.qb.from_(table)
		.select(
			rank.as_("rank"),
			ConstantColumn(doctype).as_("doctype"),
			table.name,
			amount.as_("paid_amount"),
			table.reference_no,
			table.reference_date,
			table.customer.as_("party"),
			ConstantColumn("Customer").as_("party_type"),
			table.posting_date,
			table.currency,
		)
		.where(table.docstatus == 1)
		.where(table.company == company)
		.where(table.clearance_date.isnull())
		.where(table.paid_to == bank_account)
		.where(amount_equality if exact_match else amount > 0.0)
	)
	if allocation_type:
		query = query.where(table.allocation_type == allocation_type)
	if cint(filter_by_reference_date) and from_reference_date and to_reference_date:
		query = query.where(table.reference_date.between(from_reference_date, to_reference_date))
	elif from_date and to_date:
		query = query.where(table.posting_date.between(from_date, to_date))
	if frappe.flags.auto_reconcile_vouchers is True:
		query = query.where(ref_condition)
	return query.orderby(table.posting_date)


def remove_from_bank_transactions(doctype: str, name: str) -> None:
	"""On cancel: take the voucher off every Bank Transaction it was matched to (ERPNext does the
	same for its own vouchers in AccountsController.on_cancel)."""
	remove_from_bank_transaction(doctype, name)
