# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

"""Deposit Balance: per student, the deposits taken, moved to credit, used on invoices, refunded and
still held (seed 000's Deposits tab, issue [reports] item 3).

Filters are Student Balances' (``company``, ``from_date`` / ``to_date``, ``academic_term``,
``grade``, ``class_section``, ``fee_group``, ``student_status``, ``student``). The movements are
those posted in the window; ``deposit_balance`` is what is held on ``to_date`` (default today), so
without ``from_date`` deposit_issued - transferred_to_credit - deposit_used - deposit_refunded =
deposit_balance on every row. With an academic term or fee group: its students, as in Student
Balances. Rows: the students with any figure. Read through ledger/balances.py
(one GROUP BY for the movements, one for the balances), from the deposit liability in GL.

`make_deposits` is the report's Add Deposit action: one submitted Deposit per selected student.
"""

import json

import frappe
from frappe import _
from frappe.utils import flt

from school_fees.core.money import ZERO, to_decimal
from school_fees.ledger.balances import deposit_movements_by_student, deposits_held_by_student
from school_fees.school_fees.report.student_balances.student_balances import (
	StudentScope,
	card,
	currency_column,
	money_column,
	totals,
)

# report column <- ledger movement
COLUMNS = {
	"deposit_issued": "issued",
	"transferred_to_credit": "transferred_to_credit",
	"deposit_used": "used",
	"deposit_refunded": "refunded",
}


class DepositAmountError(frappe.ValidationError):
	"""A deposit amount that is not above zero."""


@frappe.read_only()
def execute(filters=None):
	scope = StudentScope(filters)
	movements = deposit_movements_by_student(
		scope.company, scope.to_date, scope.from_date, **scope.ledger_scope
	)
	balances = deposits_held_by_student(scope.company, scope.to_date, **scope.ledger_scope)
	of_term = scope.term_students()

	figures_of = []
	for student in scope.students():
		if of_term is not None and student.name not in of_term:
			continue
		moved = movements.get(student.name, {})
		figures = {column: moved.get(movement, ZERO) for column, movement in COLUMNS.items()}
		figures["deposit_balance"] = balances.get(student.name, ZERO)
		if any(figures.values()):
			figures_of.append((student, figures))

	labels = {
		"deposit_issued": _("Deposit Issued"),
		"transferred_to_credit": _("Transferred to Credit"),
		"deposit_used": _("Deposit Used"),
		"deposit_refunded": _("Deposit Refunded"),
		"deposit_balance": _("Deposit Balance"),
	}
	total = totals([figures for _student, figures in figures_of], labels)
	columns = [
		*scope.student_columns(),
		*(money_column(key, label) for key, label in labels.items()),
		currency_column(),
	]
	data = [scope.row(student, figures) for student, figures in figures_of]
	indicators = {"deposit_issued": "Blue", "transferred_to_credit": "Blue", "deposit_used": "Green"}
	summary = [
		card(total[key], label, scope.currency, indicators.get(key, "Orange"))
		for key, label in labels.items()
	]
	return columns, data, None, None, summary


@frappe.whitelist(methods=["POST"])
def make_deposits(
	students: list | str,
	amount: float | str,
	posting_date: str,
	deposit_type: str,
	mode_of_payment: str,
	approved_by: str | None = None,
	description: str | None = None,
) -> dict:
	"""Create and submit one Deposit of `amount` per student (Add Deposit). Each student is done on
	its own savepoint: one that fails is reported with its error and the others still get their
	deposit. Returns {"created": [names], "failed": [{student, error}]}."""
	frappe.has_permission("Deposit", "create", throw=True)
	frappe.has_permission("Deposit", "submit", throw=True)
	if isinstance(students, str):
		students = json.loads(students)
	amount = to_decimal(str(amount))
	if amount <= 0:
		frappe.throw(_("The deposit amount must be above zero."), DepositAmountError)

	created, failed = [], []
	for student in dict.fromkeys(students):
		frappe.db.savepoint("make_deposit")
		try:
			company, customer = frappe.db.get_value("Student", student, ["company", "customer"]) or (
				None,
				None,
			)
			deposit = frappe.get_doc(
				{
					"doctype": "Deposit",
					"student": student,
					"company": company,
					"customer": customer,
					"amount": flt(amount),
					"posting_date": posting_date,
					"deposit_type": deposit_type,
					"mode_of_payment": mode_of_payment,
					"approved_by": approved_by,
					"description": description,
				}
			)
			deposit.insert()
			deposit.submit()
			created.append(deposit.name)
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point="make_deposit")
			failed.append({"student": student, "error": str(error) or error.__class__.__name__})
			frappe.clear_messages()
	return {"created": created, "failed": failed}
