"""A student's (or a billing customer's) fee balance, read from the ledger as of a date.

Figures (all ``Decimal`` rounded to the currency precision from :func:`get_balance`; the whitelisted
:func:`get_student_balance` returns the same keys as floats for the desk):

- ``invoiced``: grand totals of the submitted Fee Invoices posted up to the date (their receivable
  rows against themselves);
- ``outstanding``: what those invoices still owe (their Payment Ledger balances);
- ``paid``: ``invoiced - outstanding``, i.e. settled by receipts, credit or deposits;
- ``open_credit``: unapplied credit (credit notes, receipt remainders, deposits moved to credit,
  ERPNext advances on the fee receivable);
- ``deposit_held``: deposits still held on the deposit liability account.

With ``student`` the invoices are that student's; credit and deposits are those whose document names
the student. With only ``customer`` (a family account shared by siblings) everything of the customer
counts, including ERPNext advances, which name no student. Cancelled documents count nowhere (their
ledger rows are delinked / marked cancelled).
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, getdate, nowdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.payments import CREDIT_SOURCES, TYPES_OPENING_CREDIT
from school_fees.setup.settings import get_company_settings

KEYS = ("invoiced", "paid", "outstanding", "open_credit", "deposit_held")


def get_balance(student: str | None = None, customer: str | None = None, as_of=None) -> dict:
	"""Balance figures of a student or customer as of `as_of` (default today), from the ledger."""
	if not student and not customer:
		frappe.throw(_("Give a student or a customer."))
	as_of = getdate(as_of or nowdate())
	company = None
	if student:
		customer_of_student, company = frappe.db.get_value("Student", student, ["customer", "company"])
		customer = customer or customer_of_student
		if customer != customer_of_student:
			frappe.throw(
				_("Student {0} is billed to {1}, not {2}.").format(student, customer_of_student, customer)
			)
	companies = [company] if company else fee_companies(customer)
	result = {key: ZERO for key in KEYS}
	for company in companies:
		settings = get_company_settings(company)
		invoiced, outstanding = invoice_figures(
			company, customer, settings.receivable_account, as_of, student
		)
		result["invoiced"] += invoiced
		result["outstanding"] += outstanding
		result["open_credit"] += open_credit(company, customer, settings.receivable_account, as_of, student)
		result["deposit_held"] += deposit_held(company, customer, as_of, student)
	result["paid"] = result["invoiced"] - result["outstanding"]
	result = {key: quantize(value) for key, value in result.items()}
	result.update(customer=customer, student=student, as_of=as_of)
	return result


@frappe.whitelist()
def get_student_balance(
	student: str | None = None, customer: str | None = None, as_of: str | None = None
) -> dict:
	"""get_balance for the desk: needs read permission on the student (or customer); floats."""
	if student:
		frappe.has_permission("Student", "read", doc=student, throw=True)
	else:
		frappe.has_permission("Customer", "read", doc=customer, throw=True)
	balance = get_balance(student, customer, as_of)
	return {key: flt(value) if key in KEYS else value for key, value in balance.items()}


def fee_companies(customer: str) -> list[str]:
	return frappe.get_all(
		"Fee Invoice", filters={"customer": customer, "docstatus": 1}, pluck="company", distinct=True
	) or frappe.get_all("Student", filters={"customer": customer}, pluck="company", distinct=True)


def student_vouchers(doctype: str, customer: str, student: str) -> list[str]:
	return frappe.get_all(
		doctype, filters={"customer": customer, "student": student, "docstatus": 1}, pluck="name"
	)


def ple_query(company: str, customer: str, account: str, as_of):
	ple = frappe.qb.DocType("Payment Ledger Entry")
	query = frappe.qb.from_(ple).where(
		(ple.company == company)
		& (ple.party_type == "Customer")
		& (ple.party == customer)
		& (ple.account == account)
		& (ple.posting_date <= as_of)
		& (ple.delinked == 0)
	)
	return ple, query


def invoice_figures(company, customer, account, as_of, student=None) -> tuple[Decimal, Decimal]:
	"""(invoiced, outstanding) of the customer's (or student's) Fee Invoices as of the date."""
	ple, query = ple_query(company, customer, account, as_of)
	query = query.where(ple.against_voucher_type == "Fee Invoice")
	if student:
		names = student_vouchers("Fee Invoice", customer, student)
		if not names:
			return ZERO, ZERO
		query = query.where(ple.against_voucher_no.isin(names))
	rows = (
		query.select(
			ple.against_voucher_no,
			Sum(
				frappe.qb.terms.Case()
				.when(ple.voucher_type == "Fee Invoice", ple.amount_in_account_currency)
				.else_(0)
			),
			Sum(ple.amount_in_account_currency),
		)
		.groupby(ple.against_voucher_no)
		.run()
	)
	invoiced = sum((to_decimal(row[1]) for row in rows), ZERO)
	outstanding = sum((max(to_decimal(row[2]), ZERO) for row in rows), ZERO)
	return invoiced, outstanding


def open_credit(company, customer, account, as_of, student=None) -> Decimal:
	"""Unapplied credit as of the date: minus the balances of the customer's credit sources."""
	ple, query = ple_query(company, customer, account, as_of)
	query = query.where(ple.against_voucher_type.isin(list(CREDIT_SOURCES)))
	if student:
		names = student_vouchers("Credit Note", customer, student) + frappe.get_all(
			"Payment Allocation",
			filters={
				"customer": customer,
				"student": student,
				"docstatus": 1,
				"allocation_type": ("in", TYPES_OPENING_CREDIT),
			},
			pluck="name",
		)
		if not names:
			return ZERO
		query = query.where(ple.against_voucher_no.isin(names))
	rows = (
		query.select(ple.against_voucher_no, Sum(ple.amount_in_account_currency))
		.groupby(ple.against_voucher_type, ple.against_voucher_no)
		.run()
	)
	return sum((max(-to_decimal(row[1]), ZERO) for row in rows), ZERO)


def deposit_held(company, customer, as_of, student=None) -> Decimal:
	"""Deposits held as of the date: their credit balance on the deposit liability accounts."""
	filters = {"company": company, "customer": customer, "docstatus": 1}
	if student:
		filters["student"] = student
	deposits = frappe.get_all("Deposit", filters=filters, fields=["name", "deposit_account"])
	if not deposits:
		return ZERO
	gle = frappe.qb.DocType("GL Entry")
	value = (
		frappe.qb.from_(gle)
		.select(Sum(gle.credit_in_account_currency - gle.debit_in_account_currency))
		.where(
			(gle.account.isin(list({d.deposit_account for d in deposits})))
			& (gle.against_voucher_type == "Deposit")
			& (gle.against_voucher.isin([d.name for d in deposits]))
			& (gle.party == customer)
			& (gle.posting_date <= as_of)
			& (gle.is_cancelled == 0)
		)
	).run()[0][0]
	return to_decimal(value)
