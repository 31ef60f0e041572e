# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

"""Student Balances: one row per student with what was invoiced, paid, still owed, and the credit
and deposits they hold (seed 000, issue [reports] item 1).

Filters (a contract): ``company``, ``from_date`` / ``to_date`` (the invoice date window),
``academic_term``, ``grade``, ``class_section``, ``fee_group``, ``student_status``, ``student``
(a Student or an admission number). Figures are as of ``to_date`` (default today), so with no
``from_date`` a row reads exactly as ``ledger.balances.get_balance(student, as_of=to_date)``:

- ``invoiced_amount``: grand totals of the submitted, not cancelled Fee Invoices posted in the window
  (of the academic term / fee group when one is given);
- ``paid_amount``: what receipts, credit and deposits had settled on those invoices;
- ``balance_amount``: what those invoices still owed;
- ``credit_balance``, ``deposit_balance``: open credit and deposits held (whatever the window).

Rows: every Active student of the scope and every other student with a figure; with an academic
term or fee group, the students of it (in one of its fee groups, or with an invoice of it). A class
teacher sees the students of their own sections only. Every figure is one GROUP BY for the whole
school, read through ledger/balances.py.

The student scope (`StudentScope`) and the column and card helpers are in report/common.py.
"""

import frappe
from frappe import _

from school_fees.core.money import ZERO
from school_fees.ledger.balances import (
	deposits_held_by_student,
	invoice_totals_by_student,
	open_credit_by_student,
)
from school_fees.school_fees.report.common import (
	ACTIVE,
	StudentScope,
	card,
	currency_column,
	money_column,
	totals,
)


@frappe.read_only()
def execute(filters=None):
	scope = StudentScope(filters)
	invoices = invoice_totals_by_student(
		scope.company,
		scope.to_date,
		scope.from_date,
		academic_term=scope.filters.academic_term,
		fee_group=scope.filters.fee_group,
		**scope.ledger_scope,
	)
	credit = open_credit_by_student(scope.company, scope.to_date, **scope.ledger_scope)
	deposits = deposits_held_by_student(scope.company, scope.to_date, **scope.ledger_scope)
	of_term = scope.term_students()

	figures_of = []
	for student in scope.students():
		invoiced, outstanding = invoices.get(student.name, (ZERO, ZERO))
		figures = {
			"invoiced_amount": invoiced,
			"paid_amount": invoiced - outstanding,
			"balance_amount": outstanding,
			"credit_balance": credit.get(student.name, ZERO),
			"deposit_balance": deposits.get(student.name, ZERO),
		}
		if of_term is not None:
			if student.name not in of_term:
				continue
		elif student.status != ACTIVE and not any(figures.values()):
			continue
		figures_of.append((student, figures))

	total = totals(
		[figures for _student, figures in figures_of], ("invoiced_amount", "paid_amount", "balance_amount")
	)
	columns = [
		*scope.student_columns(),
		money_column("invoiced_amount", _("Invoiced Amount")),
		money_column("paid_amount", _("Paid Amount")),
		money_column("balance_amount", _("Balance Amount")),
		money_column("credit_balance", _("Credit Balance")),
		money_column("deposit_balance", _("Deposit Balance")),
		currency_column(),
	]
	data = [scope.row(student, figures) for student, figures in figures_of]
	summary = [
		card(total["invoiced_amount"], _("Invoiced Amount"), scope.currency, "Blue"),
		card(total["paid_amount"], _("Paid Amount"), scope.currency, "Green"),
		card(
			total["balance_amount"],
			_("Balance Amount"),
			scope.currency,
			"Red" if total["balance_amount"] > 0 else "Green",
		),
	]
	return columns, data, None, None, summary
