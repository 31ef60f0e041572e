"""Whether a Fee Structure can be billed, and whether an invoice's dates are in order: the one
place these rules are turned into messages (the rules themselves are in core.billing)."""

import frappe
from frappe import _
from frappe.utils import getdate

from school_fees.core.billing import CANCELLED, due_before, is_billable, structure_refusal


class InvoiceGenerationError(frappe.ValidationError):
	"""A fee structure or a student cannot be billed as asked."""


class DueDateError(frappe.ValidationError):
	"""A due date falls before the date it must follow."""


def structure_problems(fee_structure: str, company: str | None = None) -> list[str]:
	"""Why `fee_structure` cannot bill (for `company`, when given): it does not exist, is not
	submitted, is cancelled, or belongs to another school. Empty when it can."""
	structure = frappe.db.get_value("Fee Structure", fee_structure, ["docstatus", "company"], as_dict=True)
	if not structure:
		return [_("Fee Structure {0} does not exist.").format(frappe.bold(fee_structure))]
	problems = []
	refusal = structure_refusal(structure.docstatus)
	if refusal == CANCELLED:
		problems.append(
			_("Fee Structure {0} is cancelled and cannot be billed.").format(frappe.bold(fee_structure))
		)
	elif refusal:
		problems.append(
			_("Fee Structure {0} must be submitted before it can be billed.").format(
				frappe.bold(fee_structure)
			)
		)
	if company and structure.company != company:
		problems.append(
			_("Fee Structure {0} belongs to {1}, not to {2}.").format(
				frappe.bold(fee_structure), structure.company, company
			)
		)
	return problems


def check_billable(fee_structure: str, exc=InvoiceGenerationError, company: str | None = None) -> None:
	"""Throw the first reason `fee_structure` cannot bill (see structure_problems) as `exc`."""
	problems = structure_problems(fee_structure, company)
	if problems:
		frappe.throw(problems[0], exc)


def is_billable_structure(fee_structure: str | None) -> bool:
	return bool(fee_structure) and is_billable(
		frappe.db.get_value("Fee Structure", fee_structure, "docstatus")
	)


def due_date_problem(posting_date, due_date, installment: str | None = None) -> str | None:
	"""The message when `due_date` falls before the invoice date `posting_date`, else None. With
	`installment`, worded for a billing run whose installment would fall due too early."""
	if not due_before(
		getdate(due_date) if due_date else None, getdate(posting_date) if posting_date else None
	):
		return None
	if installment:
		return _(
			"Installment {0} would be due on {1}, before the invoice date {2}: set a due date on the run."
		).format(
			frappe.bold(installment), frappe.format(due_date, "Date"), frappe.format(posting_date, "Date")
		)
	return _("The due date {0} cannot be before the invoice date {1}.").format(
		frappe.format(due_date, "Date"), frappe.format(posting_date, "Date")
	)


def check_due_date(posting_date, due_date, exc=DueDateError) -> None:
	problem = due_date_problem(posting_date, due_date)
	if problem:
		frappe.throw(problem, exc)
