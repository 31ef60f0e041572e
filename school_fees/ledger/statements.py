"""The ledger reads behind a student's statement of account (school_fees.statements).

A movement belongs to the student exactly as ledger.balances.get_balance counts it for one student:

- the fee receivable (Payment Ledger Entry, the school's receivable account, the student's billing
  customer) against the student's submitted Fee Invoices, Credit Notes, and the Payment Allocations
  naming the student that leave open credit on themselves (receipts, deposits moved to credit). Their
  running sum is what the student owes less the student's open credit: get_balance's
  ``outstanding - open_credit``;
- the deposit liability (GL Entry) against the student's submitted Deposits: the deposit held, kept
  apart from the fee balance (a deposit is the school's debt to the family, not a payment).

Rows are grouped per voucher and posting date: an invoice, a receipt over several invoices, a credit
note, a credit applied, a refund each make one row whatever the number of ledger rows behind it.
Delinked Payment Ledger rows and cancelled GL rows count nowhere (a cancelled voucher leaves no row).
"""

from decimal import Decimal

import frappe
from frappe.query_builder.functions import Coalesce, Min, Sum
from frappe.utils import getdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import TYPES_OPENING_CREDIT
from school_fees.ledger.balances import FEE_INVOICE, payment_ledger, student_vouchers
from school_fees.settings import get_company_settings


def student_sources(student: str) -> frappe._dict:
	"""The student's company, customer, receivable account, and the vouchers whose ledger rows are the
	student's: ``receivable`` {doctype: [names]} and ``deposits`` (name and deposit_account rows)."""
	company, customer = frappe.db.get_value("Student", student, ["company", "customer"])
	sources = frappe._dict(company=company, customer=customer, receivable={}, deposits=[])
	if not (company and customer):
		return sources
	sources.account = get_company_settings(company).receivable_account
	sources.receivable = {
		FEE_INVOICE: student_vouchers(FEE_INVOICE, customer, student),
		"Credit Note": student_vouchers("Credit Note", customer, student),
		"Payment Allocation": student_vouchers(
			"Payment Allocation", customer, student, allocation_type=("in", TYPES_OPENING_CREDIT)
		),
	}
	sources.deposits = frappe.get_all(
		"Deposit",
		filters={"company": company, "customer": customer, "student": student, "docstatus": 1},
		fields=["name", "deposit_account"],
	)
	return sources


def money(value) -> Decimal:
	return quantize(to_decimal(value))


# ---------------------------------------------------------------- fee receivable


def receivable_query(sources: frappe._dict):
	"""The student's live receivable rows (see the module docstring), or None when there are none."""
	ple = payment_ledger()
	against = None
	for doctype, names in sources.receivable.items():
		if names:
			condition = (ple.against_voucher_type == doctype) & ple.against_voucher_no.isin(names)
			against = condition if against is None else against | condition
	if against is None:
		return ple, None
	query = frappe.qb.from_(ple).where(
		(ple.company == sources.company)
		& (ple.party_type == "Customer")
		& (ple.party == sources.customer)
		& (ple.account == sources.account)
		& (ple.delinked == 0)
		& against
	)
	return ple, query


def receivable_before(sources: frappe._dict, from_date) -> Decimal:
	"""What the student owed (less open credit) at the end of the day before `from_date`."""
	ple, query = receivable_query(sources)
	if query is None:
		return ZERO
	query = query.select(Coalesce(Sum(ple.amount_in_account_currency), 0)).where(
		ple.posting_date < getdate(from_date)
	)
	return money(query.run()[0][0])


def receivable_movements(sources: frappe._dict, from_date, to_date) -> list[frappe._dict]:
	"""Per voucher and day in the window: voucher_type, voucher_no, posting_date, created (first row's
	creation, for ordering), debit and credit: what the voucher did to the balance, net (credit of the
	student's own credit note applied to an invoice moves nothing: both are zero)."""
	ple, query = receivable_query(sources)
	if query is None:
		return []
	rows = (
		query.select(
			ple.voucher_type,
			ple.voucher_no,
			ple.posting_date,
			Min(ple.creation).as_("created"),
			Sum(ple.amount_in_account_currency).as_("net"),
		)
		.where((ple.posting_date >= getdate(from_date)) & (ple.posting_date <= getdate(to_date)))
		.groupby(ple.voucher_type, ple.voucher_no, ple.posting_date)
	).run(as_dict=True)
	for row in rows:
		net = money(row.pop("net"))
		row.debit, row.credit = max(net, ZERO), max(-net, ZERO)
	return rows


# ---------------------------------------------------------------- deposits


def deposit_query(sources: frappe._dict):
	gle = frappe.qb.DocType("GL Entry")
	if not sources.deposits:
		return gle, None
	query = frappe.qb.from_(gle).where(
		(gle.company == sources.company)
		& (gle.account.isin(sorted({d.deposit_account for d in sources.deposits})))
		& (gle.against_voucher_type == "Deposit")
		& (gle.against_voucher.isin([d.name for d in sources.deposits]))
		& (gle.party_type == "Customer")
		& (gle.party == sources.customer)
		& (gle.is_cancelled == 0)
	)
	return gle, query


def deposit_before(sources: frappe._dict, from_date) -> Decimal:
	"""Deposits held at the end of the day before `from_date`."""
	gle, query = deposit_query(sources)
	if query is None:
		return ZERO
	held = gle.credit_in_account_currency - gle.debit_in_account_currency
	query = query.select(Coalesce(Sum(held), 0)).where(gle.posting_date < getdate(from_date))
	return money(query.run()[0][0])


def deposit_movements(sources: frappe._dict, from_date, to_date) -> list[frappe._dict]:
	"""Per voucher and day in the window: voucher_type, voucher_no, posting_date, created and
	deposit (signed: + received, - applied, moved to credit or refunded)."""
	gle, query = deposit_query(sources)
	if query is None:
		return []
	held = gle.credit_in_account_currency - gle.debit_in_account_currency
	rows = (
		query.select(
			gle.voucher_type,
			gle.voucher_no,
			gle.posting_date,
			Min(gle.creation).as_("created"),
			Sum(held).as_("deposit"),
		)
		.where((gle.posting_date >= getdate(from_date)) & (gle.posting_date <= getdate(to_date)))
		.groupby(gle.voucher_type, gle.voucher_no, gle.posting_date)
	).run(as_dict=True)
	for row in rows:
		row.deposit = money(row.deposit)
	return rows
