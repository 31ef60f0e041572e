"""The student's billing profile on the Student form (seed 000: "click on a particular student to get a
detailed billing profile"), and the histories the balance reports open for one student.

Every figure is read from the ledger: the five balances of ledger.balances.get_balance, the
statement of account of school_fees.statements from the first voucher on (every live invoice and
payment), the credit and deposit movements, and the credits and deposits that still hold money (what
Refund Credit can pay back). Each function needs read permission on the student (a class teacher: a
student of their sections). Amounts leave as floats, in the school's currency.
"""

import frappe
from frappe.utils import flt

from school_fees.ledger.balances import (
	BALANCE_KEYS,
	credit_history,
	deposit_history_of_student,
	get_balance,
	open_sources_of_student,
)
from school_fees.statements import get_statement

STATEMENT_AMOUNTS = ("debit", "credit", "balance", "deposit", "deposit_balance")
# The statement on the profile starts before any voucher: every invoice and payment is a row
BEGINNING = "1900-01-01"


def check_read(student: str) -> None:
	frappe.has_permission("Student", "read", doc=student, throw=True)


def as_floats(rows: list[dict], keys) -> list[dict]:
	return [{key: flt(value) if key in keys else value for key, value in row.items()} for row in rows]


@frappe.whitelist()
def get_billing_profile(student: str, as_of: str | None = None) -> dict:
	"""A student's balances and statement (oldest first) as of `as_of` (default today), and the
	credits and deposits that still hold money."""
	check_read(student)
	balance = get_balance(student=student, as_of=as_of)
	company = frappe.db.get_value("Student", student, "company")
	return {
		"currency": frappe.get_cached_value("Company", company, "default_currency"),
		"customer": balance["customer"],
		"as_of": balance["as_of"],
		**{key: flt(balance[key]) for key in BALANCE_KEYS},
		"statement": as_floats(
			get_statement(student, BEGINNING, balance["as_of"])["rows"], STATEMENT_AMOUNTS
		),
		"open_sources": as_floats(open_sources_of_student(student), ("available",)),
	}


@frappe.whitelist()
def get_open_sources(student: str) -> list[dict]:
	"""The student's credits and deposits that still hold money, oldest first (to refund or use)."""
	check_read(student)
	return as_floats(open_sources_of_student(student), ("available",))


@frappe.whitelist()
def get_credit_history(student: str) -> list[dict]:
	"""Every movement of the student's credit: issued, transferred from a deposit, used, refunded."""
	check_read(student)
	return as_floats(credit_history(student), ("amount",))


@frappe.whitelist()
def get_deposit_history(student: str) -> list[dict]:
	"""Every movement of the student's deposits: issued, transferred to credit, used, refunded."""
	check_read(student)
	return as_floats(deposit_history_of_student(student), ("amount",))
