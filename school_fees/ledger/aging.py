"""Fee Invoice balances as of a date, read from the Payment Ledger (the Fee Aging report).

A Fee Invoice's cached ``outstanding_amount`` is today's figure; what an invoice owed on an earlier
date comes from its Payment Ledger rows posted up to that date (the invoice's own row, receipts,
credit and deposits applied, reversals), summed in one GROUP BY. Delinked (cancelled) rows count
nowhere, so an invoice cancelled since then has no balance on any date, as in ERPNext's Accounts
Receivable.

Both readers take the same scope, applied in the query itself (a class section's aging reads only
that section's rows):

- ``academic_term``, ``fee_group``: of the invoice;
- ``grade``, ``class_sections`` (a list; ``[]`` matches nothing), ``student_status``, ``students``
  (a list of Student names): of the student as they are now.
"""

from datetime import date
from decimal import Decimal

import frappe
from frappe.query_builder.functions import Sum

from school_fees.core.money import quantize, to_decimal
from school_fees.ledger.balances import FEE_INVOICE, payment_ledger

SCOPE_KEYS = frozenset(
	{"academic_term", "fee_group", "grade", "class_sections", "student_status", "students"}
)


def open_invoices_as_of(company: str, as_of: date, **scope) -> list[frappe._dict]:
	"""The company's Fee Invoices with something outstanding on `as_of`.

	Rows: ``fee_invoice``, ``student``, ``posting_date``, ``due_date``, ``is_late_fee`` and
	``outstanding`` (a positive Decimal), from one GROUP BY over Payment Ledger Entry."""
	ple, invoice, query = _scoped(company, as_of, scope)
	if query is None:
		return []
	balance = Sum(ple.amount_in_account_currency)
	rows = (
		query.join(invoice)
		.on(invoice.name == ple.against_voucher_no)
		.select(
			invoice.name.as_("fee_invoice"),
			invoice.student,
			invoice.posting_date,
			invoice.due_date,
			invoice.is_late_fee,
			balance.as_("outstanding"),
		)
		.groupby(invoice.name, invoice.student, invoice.posting_date, invoice.due_date, invoice.is_late_fee)
		.having(balance > 0)
	)
	rows = _where_scope(rows, company, invoice, scope).run(as_dict=True)
	for row in rows:
		row.outstanding = quantize(to_decimal(row.outstanding))
	return rows


def late_fees_charged_as_of(company: str, as_of: date, **scope) -> dict[str, Decimal]:
	"""{student: late fees charged up to `as_of`}: the ledger amount of each student's late-fee
	invoices posted by then (whether paid or not), in one GROUP BY."""
	ple, invoice, query = _scoped(company, as_of, scope)
	if query is None:
		return {}
	rows = (
		query.join(invoice)
		.on(invoice.name == ple.voucher_no)
		.select(invoice.student, Sum(ple.amount_in_account_currency))
		.where(
			(ple.voucher_type == FEE_INVOICE)
			& (ple.against_voucher_no == ple.voucher_no)
			& (invoice.is_late_fee == 1)
		)
		.groupby(invoice.student)
	)
	rows = _where_scope(rows, company, invoice, scope).run()
	return {student: quantize(to_decimal(amount)) for student, amount in rows}


def _scoped(company: str, as_of: date, scope: dict):
	"""The Payment Ledger rows against the company's Fee Invoices up to `as_of` (None: the scope
	matches nothing)."""
	unknown = set(scope) - SCOPE_KEYS
	if unknown:
		raise TypeError(f"Unknown scope {sorted(unknown)}")
	if any(scope.get(key) is not None and not scope[key] for key in ("class_sections", "students")):
		return None, None, None
	ple = payment_ledger()
	invoice = frappe.qb.DocType(FEE_INVOICE)
	query = frappe.qb.from_(ple).where(
		(ple.company == company)
		& (ple.against_voucher_type == FEE_INVOICE)
		& (ple.posting_date <= as_of)
		& (ple.delinked == 0)
	)
	return ple, invoice, query


def _where_scope(query, company: str, invoice, scope: dict):
	query = query.where((invoice.company == company) & (invoice.docstatus == 1))
	if scope.get("academic_term"):
		query = query.where(invoice.academic_term == scope["academic_term"])
	if scope.get("fee_group"):
		query = query.where(invoice.fee_group == scope["fee_group"])
	if scope.get("students") is not None:
		query = query.where(invoice.student.isin(list(scope["students"])))
	student_filters = {
		key: scope.get(key) for key in ("grade", "class_sections", "student_status") if scope.get(key)
	}
	if student_filters:
		student = frappe.qb.DocType("Student")
		query = query.join(student).on(student.name == invoice.student)
		if student_filters.get("grade"):
			query = query.where(student.grade == student_filters["grade"])
		if student_filters.get("class_sections"):
			query = query.where(student.class_section.isin(list(student_filters["class_sections"])))
		if student_filters.get("student_status"):
			query = query.where(student.status == student_filters["student_status"])
	return query
