# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

"""Server code shared by the School Fees reports: the student scope of the balance reports
(`StudentScope`: Student Balances, Credit Balance, Deposit Balance), columns, summary cards, totals,
and the per-student movement reports (Credit Balance, Deposit Balance)."""

from collections.abc import Callable
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, getdate, nowdate

from school_fees.core.money import ZERO
from school_fees.permissions import check_school_access, sections_of

ACTIVE = "Active"


class ReportFilterError(frappe.ValidationError):
	"""A report's filters contradict each other."""


class StudentScope:
	"""The students a balance report covers, from its filters and the user's sections.

	`ledger_scope` is the student scope for the ledger readers (grade, class sections, status, one
	student); `students()` lists the matching students with their names and sections."""

	def __init__(self, filters: dict | None):
		self.filters = frappe._dict(filters or {})
		self.company = self.filters.company
		check_school_access(self.company)
		self.to_date = getdate(self.filters.to_date or nowdate())
		self.from_date = getdate(self.filters.from_date) if self.filters.from_date else None
		if self.from_date and self.from_date > self.to_date:
			frappe.throw(_("From Date must be on or before To Date."), ReportFilterError)
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")
		self.ledger_scope = self.make_ledger_scope()

	def make_ledger_scope(self) -> dict:
		scope = {}
		allowed = sections_of()
		if self.filters.class_section:
			wanted = [self.filters.class_section]
			scope["class_sections"] = wanted if allowed is None else [s for s in wanted if s in allowed]
		elif allowed is not None:
			scope["class_sections"] = allowed
		if self.filters.grade:
			scope["grade"] = self.filters.grade
		if self.filters.student_status:
			scope["student_status"] = self.filters.student_status
		if self.filters.student:
			scope["students"] = self.resolve_student(self.filters.student)
		return scope

	def resolve_student(self, value: str) -> list[str]:
		"""A Student name, or an admission number of the school."""
		if frappe.db.exists("Student", {"name": value, "company": self.company}):
			return [value]
		return frappe.get_all(
			"Student", filters={"company": self.company, "admission_no": value.strip()}, pluck="name"
		)

	def students(self) -> list[frappe._dict]:
		"""The school's students in the scope, by class section and name."""
		scope = self.ledger_scope
		filters = {"company": self.company}
		for key, field in (("grade", "grade"), ("student_status", "status")):
			if scope.get(key):
				filters[field] = scope[key]
		for key, field in (("class_sections", "class_section"), ("students", "name")):
			if scope.get(key) is not None:
				if not scope[key]:
					return []
				filters[field] = ("in", scope[key])
		return frappe.get_all(
			"Student",
			filters=filters,
			fields=["name", "student_name", "admission_no", "class_section", "status"],
			order_by="class_section, student_name, name",
		)

	def term_students(self) -> set[str] | None:
		"""With an academic term or fee group filter: the students of it (in one of its fee groups,
		or with a submitted invoice of it); None without such a filter."""
		term, fee_group = self.filters.academic_term, self.filters.fee_group
		if not (term or fee_group):
			return None
		member = frappe.qb.DocType("Student Fee Group")
		group = frappe.qb.DocType("Fee Group")
		members = (
			frappe.qb.from_(member)
			.join(group)
			.on(group.name == member.fee_group)
			.select(member.parent)
			.distinct()
			.where((member.parenttype == "Student") & (group.company == self.company))
		)
		invoice_filters = {"company": self.company, "docstatus": 1}
		if term:
			members = members.where(group.academic_term == term)
			invoice_filters["academic_term"] = term
		if fee_group:
			members = members.where(group.name == fee_group)
			invoice_filters["fee_group"] = fee_group
		invoiced = frappe.get_all("Fee Invoice", filters=invoice_filters, pluck="student", distinct=True)
		return {name for (name,) in members.run()} | set(invoiced)

	def student_columns(self) -> list[dict]:
		return [
			{
				"fieldname": "student",
				"label": _("Student"),
				"fieldtype": "Link",
				"options": "Student",
				"width": 100,
			},
			{"fieldname": "student_name", "label": _("Student Name"), "fieldtype": "Data", "width": 150},
			{"fieldname": "admission_no", "label": _("Admission No"), "fieldtype": "Data", "width": 125},
			{
				"fieldname": "class_section",
				"label": _("Class Section"),
				"fieldtype": "Link",
				"options": "Class Section",
				"width": 130,
			},
		]

	def row(self, student: frappe._dict, figures: dict[str, Decimal]) -> dict:
		return {
			"student": student.name,
			"student_name": student.student_name,
			"admission_no": student.admission_no,
			"class_section": student.class_section,
			**{key: flt(value) for key, value in figures.items()},
			"currency": self.currency,
		}


def check_date_window(filters, error: type[frappe.ValidationError], start="from_date", end="to_date") -> None:
	"""Refuse a window whose start (`start` filter) is after its end (`end` filter)."""
	if filters.get(start) and filters.get(end) and getdate(filters[start]) > getdate(filters[end]):
		frappe.throw(
			_("{0} must not be after {1}.").format(_(frappe.unscrub(start)), _(frappe.unscrub(end))), error
		)


def column(fieldname: str, label: str, fieldtype: str = "Data", width: int = 100, options=None) -> dict:
	return {
		"label": label,
		"fieldname": fieldname,
		"fieldtype": fieldtype,
		"options": options,
		"width": width,
	}


def money_column(fieldname: str, label: str, width: int = 125) -> dict:
	return column(fieldname, label, "Currency", width, "currency")


def currency_column() -> dict:
	# Data, not a Link: Frappe filters a report's rows by the user's rights on every linked doctype,
	# and a class teacher has none on Currency
	return {"fieldname": "currency", "label": _("Currency"), "fieldtype": "Data", "hidden": 1}


def card(value: Decimal, label: str, currency: str, indicator: str | None = None) -> dict:
	summary = {"value": flt(value), "label": label, "datatype": "Currency", "currency": currency}
	if indicator:
		summary["indicator"] = indicator
	return summary


def totals(rows: list[dict], keys) -> dict[str, Decimal]:
	return {key: sum((row[key] for row in rows), ZERO) for key in keys}


def student_movement_report(
	filters: dict | None,
	read_movements: Callable,
	read_balances: Callable,
	movement_columns: dict[str, str],
	balance_column: str,
	labels: dict[str, str],
	indicators: dict[str, str],
):
	"""A report of one row per student with a figure: `movement_columns` (report column <- ledger
	movement of `read_movements`) posted in the window and `balance_column` (from `read_balances`)
	on ``to_date``; one card per label (`indicators`, Orange when not named)."""
	scope = StudentScope(filters)
	movements = read_movements(scope.company, scope.to_date, scope.from_date, **scope.ledger_scope)
	balances = read_balances(scope.company, scope.to_date, **scope.ledger_scope)
	of_term = scope.term_students()

	figures_of = []
	for student in scope.students():
		if of_term is not None and student.name not in of_term:
			continue
		moved = movements.get(student.name, {})
		figures = {column: moved.get(movement, ZERO) for column, movement in movement_columns.items()}
		figures[balance_column] = balances.get(student.name, ZERO)
		if any(figures.values()):
			figures_of.append((student, figures))

	total = totals([figures for _student, figures in figures_of], labels)
	columns = [
		*scope.student_columns(),
		*(money_column(key, label) for key, label in labels.items()),
		currency_column(),
	]
	data = [scope.row(student, figures) for student, figures in figures_of]
	summary = [
		card(total[key], label, scope.currency, indicators.get(key, "Orange"))
		for key, label in labels.items()
	]
	return columns, data, None, None, summary
