# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

"""Credit Balance: per student, the credit issued, transferred from deposits, used, refunded and
still open (seed 000's Credit Balance tab, issue [reports] item 2).

Filters are Student Balances' (``company``, ``from_date`` / ``to_date``, ``academic_term``,
``grade``, ``class_section``, ``fee_group``, ``student_status``, ``student``). The movements are
those posted in the window; ``credit_balance`` is the open credit on ``to_date`` (default today), so
without ``from_date`` credit_issued + transferred_from_deposit - credit_used - credit_refunded =
credit_balance on every row. With an academic term or fee group: its students, as in Student
Balances. Credit issued is credit notes and receipt overpayments; credit that
names no student (an ERPNext advance) is not here. Rows: the students with any figure. Read through
ledger/balances.py (one GROUP BY for the movements, one for the balances).
"""

import frappe
from frappe import _

from school_fees.ledger.balances import credit_movements_by_student, open_credit_by_student
from school_fees.school_fees.report.common import student_movement_report

# report column <- ledger movement
COLUMNS = {
	"credit_issued": "issued",
	"transferred_from_deposit": "transferred_from_deposit",
	"credit_used": "used",
	"credit_refunded": "refunded",
}


@frappe.read_only()
def execute(filters=None):
	labels = {
		"credit_issued": _("Credit Issued"),
		"transferred_from_deposit": _("Transferred from Deposit"),
		"credit_used": _("Credit Used"),
		"credit_refunded": _("Credit Refunded"),
		"credit_balance": _("Credit Balance"),
	}
	return student_movement_report(
		filters,
		credit_movements_by_student,
		open_credit_by_student,
		COLUMNS,
		"credit_balance",
		labels,
		{"credit_issued": "Blue", "transferred_from_deposit": "Blue", "credit_used": "Green"},
	)
