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

The report's Add Deposit action is school_fees.payments.deposits.make_deposits.
"""

import frappe
from frappe import _

from school_fees.ledger.balances import deposit_movements_by_student, deposits_held_by_student
from school_fees.school_fees.report.common import student_movement_report

# report column <- ledger movement
COLUMNS = {
	"deposit_issued": "issued",
	"transferred_to_credit": "transferred_to_credit",
	"deposit_used": "used",
	"deposit_refunded": "refunded",
}


@frappe.read_only()
def execute(filters=None):
	labels = {
		"deposit_issued": _("Deposit Issued"),
		"transferred_to_credit": _("Transferred to Credit"),
		"deposit_used": _("Deposit Used"),
		"deposit_refunded": _("Deposit Refunded"),
		"deposit_balance": _("Deposit Balance"),
	}
	return student_movement_report(
		filters,
		deposit_movements_by_student,
		deposits_held_by_student,
		COLUMNS,
		"deposit_balance",
		labels,
		{"deposit_issued": "Blue", "transferred_to_credit": "Blue", "deposit_used": "Green"},
	)
