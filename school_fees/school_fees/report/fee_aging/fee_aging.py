"""Fee Aging: what each student owes as of a date, aged by due date; the call list.

ERPNext's Accounts Receivable ages our invoices by posting date (it loads due dates only for Sales
and Purchase Invoices and Journal Entries); this report ages every open Fee Invoice by its own due
date. What an invoice owed on the date comes from the Payment Ledger rows posted up to it
(ledger/aging.py), so a past date shows the books as they stood then.

Age = as-of date minus due date, in days: below 0 is Not Due, 0-30 (due on the date counts here),
31-60, 61-90, 90+. One row per student: guardian name, phone and email, the oldest due date still
open, the number of open invoices, the late fees charged up to the date (late-fee invoices, paid or
not), the outstanding in each bucket and in total; sorted by outstanding, biggest first.
``overdue_only`` keeps the students with something past due. A class teacher sees only the students
now in their sections; the grade, section and status filters are the student's current ones.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate, nowdate

from school_fees.core.money import ZERO
from school_fees.ledger.aging import late_fees_charged_as_of, open_invoices_as_of
from school_fees.permissions import check_school_access, sections_of
from school_fees.school_fees.report.common import column, currency_column, money_column

NOT_DUE = "not_due"
# (fieldname, label, first day, last day) of each overdue bucket; None = no upper bound
AGE_BUCKETS = (
	("age_0_30", "0-30", 0, 30),
	("age_31_60", "31-60", 31, 60),
	("age_61_90", "61-90", 61, 90),
	("age_90_above", "90+", 91, None),
)
BUCKET_FIELDS = (NOT_DUE, *(bucket[0] for bucket in AGE_BUCKETS))


def bucket_of(age_days: int) -> str:
	"""The bucket fieldname of an invoice `age_days` past its due date (negative: not yet due)."""
	if age_days < 0:
		return NOT_DUE
	for fieldname, _label, first, last in AGE_BUCKETS:
		if age_days >= first and (last is None or age_days <= last):
			return fieldname
	raise ValueError(age_days)


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	as_of = getdate(filters.get("as_of_date") or nowdate())
	rows = get_rows(filters, as_of)
	currency = frappe.get_cached_value("Company", filters.company, "default_currency")
	return (
		get_columns(),
		[row_for_report(row, currency) for row in rows],
		None,
		get_chart(rows),
		get_summary(rows, currency),
	)


def aging_scope(filters) -> dict | None:
	"""The scope of ledger/aging.py for the filters and the user (None: nothing visible)."""
	scope = {
		"academic_term": filters.get("academic_term"),
		"fee_group": filters.get("fee_group"),
		"grade": filters.get("grade"),
		"student_status": filters.get("student_status"),
	}
	sections = sections_of()
	if filters.get("class_section"):
		allowed = sections is None or filters.class_section in sections
		sections = [filters.class_section] if allowed else []
	if sections is not None:
		if not sections:
			return None
		scope["class_sections"] = sections
	if filters.get("student"):
		scope["students"] = matching_students(filters.company, filters.student)
		if not scope["students"]:
			return None
	return scope


def matching_students(company: str, text: str) -> list[str]:
	"""Students of the school whose ID or admission number is `text`, or whose name contains it."""
	text = text.strip()
	student = frappe.qb.DocType("Student")
	return [
		name
		for (name,) in frappe.qb.from_(student)
		.select(student.name)
		.where(
			(student.company == company)
			& (
				(student.name == text)
				| (student.admission_no == text)
				| (student.student_name.like(f"%{text}%"))
			)
		)
		.run()
	]


def get_rows(filters, as_of: date) -> list[frappe._dict]:
	scope = aging_scope(filters)
	if scope is None:
		return []
	invoices = open_invoices_as_of(filters.company, as_of, **scope)
	if not invoices:
		return []
	late_fees = late_fees_charged_as_of(filters.company, as_of, **scope)
	rows = aggregate(invoices, as_of)
	students = student_details(list(rows))
	for name, row in rows.items():
		row.update(students.get(name, {}))
		row.late_fees_charged = late_fees.get(name, ZERO)
	result = list(rows.values())
	if cint(filters.get("overdue_only")):
		result = [row for row in result if row.overdue_amount > 0]
	result.sort(key=lambda row: (-row.outstanding_amount, row.student_name or "", row.student))
	return result


def aggregate(invoices, as_of: date) -> dict[str, frappe._dict]:
	"""Open invoices summed per student into the aging buckets."""
	rows: dict[str, frappe._dict] = {}
	for invoice in invoices:
		row = rows.get(invoice.student)
		if row is None:
			row = rows[invoice.student] = frappe._dict(
				student=invoice.student,
				oldest_due_date=None,
				open_invoices=0,
				outstanding_amount=ZERO,
				overdue_amount=ZERO,
				**{field: ZERO for field in BUCKET_FIELDS},
			)
		due_date = getdate(invoice.due_date or invoice.posting_date)
		bucket = bucket_of((as_of - due_date).days)
		row[bucket] += invoice.outstanding
		row.outstanding_amount += invoice.outstanding
		if bucket != NOT_DUE:
			row.overdue_amount += invoice.outstanding
		row.open_invoices += 1
		if row.oldest_due_date is None or due_date < row.oldest_due_date:
			row.oldest_due_date = due_date
	return rows


def student_details(names: list[str]) -> dict[str, dict]:
	fields = [
		"name",
		"student_name",
		"admission_no",
		"class_section",
		"guardian_name",
		"guardian_phone",
		"guardian_email",
	]
	return {
		row.pop("name"): row
		for row in frappe.get_all("Student", filters={"name": ("in", names)}, fields=fields)
	}


def row_for_report(row, currency: str) -> dict:
	result = dict(row)
	for field in (*BUCKET_FIELDS, "outstanding_amount", "overdue_amount", "late_fees_charged"):
		result[field] = flt(row[field])
	result["currency"] = currency
	return result


def total(rows, field: str) -> Decimal:
	return sum((row[field] for row in rows), ZERO)


def get_summary(rows, currency: str) -> list[dict]:
	def card(label, value, indicator, datatype="Currency"):
		return {
			"label": label,
			"value": flt(value) if datatype == "Currency" else value,
			"datatype": datatype,
			"currency": currency,
			"indicator": indicator,
		}

	summary = [
		card(_("Students Owing"), len(rows), "Blue", "Int"),
		card(_("Total Outstanding"), total(rows, "outstanding_amount"), "Blue"),
		card(_("Overdue"), total(rows, "overdue_amount"), "Red"),
		card(_("Not Due"), total(rows, NOT_DUE), "Green"),
	]
	for fieldname, label, first, _last in AGE_BUCKETS:
		summary.append(
			card(_("{0} days").format(label), total(rows, fieldname), "Orange" if first < 61 else "Red")
		)
	summary.append(card(_("Late Fees Charged"), total(rows, "late_fees_charged"), "Grey"))
	return summary


def get_chart(rows) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [_("Not Due"), *(_("{0} days").format(bucket[1]) for bucket in AGE_BUCKETS)],
			"datasets": [{"name": _("Outstanding"), "values": [flt(total(rows, f)) for f in BUCKET_FIELDS]}],
		},
		"type": "bar",
		"colors": ["#f56b6b"],
		"fieldtype": "Currency",
		"height": 220,
	}


def get_columns() -> list[dict]:
	# what the call list needs first: who, where, how much and how late; then the rest
	return [
		column("student", _("Student"), "Link", 105, "Student"),
		column("student_name", _("Student Name"), width=150),
		column("class_section", _("Class Section"), "Link", 135, "Class Section"),
		column("guardian_phone", _("Guardian Phone"), width=140),
		money_column("outstanding_amount", _("Outstanding"), 110),
		money_column("overdue_amount", _("Overdue"), 105),
		money_column(NOT_DUE, _("Not Due"), 100),
		*(
			money_column(fieldname, _("{0} days").format(label), 105)
			for fieldname, label, _first, _last in AGE_BUCKETS
		),
		column("oldest_due_date", _("Oldest Due Date"), "Date", 115),
		column("open_invoices", _("Open Invoices"), "Int", 80),
		money_column("late_fees_charged", _("Late Fees Charged"), 110),
		column("guardian_name", _("Guardian"), width=130),
		column("guardian_email", _("Guardian Email"), width=180),
		column("admission_no", _("Admission No"), width=105),
		currency_column(),
	]
