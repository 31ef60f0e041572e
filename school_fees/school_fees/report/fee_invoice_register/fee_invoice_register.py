"""Fee Invoice Register: every fee invoice of a school, filterable and sortable, with cards.

One row per invoice, read from Fee Invoice in one query: its ``paid_amount``, ``outstanding_amount``
and ``status`` are written back from the Payment Ledger on every post and reversal
(ledger/writeback.py), so they are the ledger's figures today.

- ``status`` (several allowed): left empty, the register lists the issued invoices (Issued,
  Partially Paid, Paid, Overdue); drafts and cancelled invoices appear when asked for by status.
- ``has_outstanding``: "Yes" = submitted invoices still owing, "No" = nothing left to pay (the
  daily close of fully paid invoices), empty = both.
- ``student``: a student ID, an admission number, or part of a name.
- ``sort_by`` Invoice Date / Due Date / Amount / Outstanding, ``sort_order`` Descending / Ascending.

Cards: active (issued, not cancelled) invoices, total billed, collected and outstanding over the
active rows, and a count per status; a donut chart of the statuses. A class teacher sees only
their sections' invoices.
"""

from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.utils import cint, flt, getdate, nowdate

from school_fees.core.money import ZERO, to_decimal
from school_fees.core.status import CANCELLED, DRAFT, ISSUED, OVERDUE, PAID, PARTIALLY_PAID, STATUSES
from school_fees.permissions import check_school_access, sections_of
from school_fees.school_fees.report.common import check_date_window, column, currency_column, money_column

FEE_INVOICE = "Fee Invoice"
DEFAULT_STATUSES = (ISSUED, PARTIALLY_PAID, OVERDUE, PAID)
SORT_FIELDS = {
	"Invoice Date": "posting_date",
	"Due Date": "due_date",
	"Amount": "grand_total",
	"Outstanding": "outstanding_amount",
}
STATUS_COLORS = {
	DRAFT: ("Grey", "#98a1a9"),
	ISSUED: ("Blue", "#318ad8"),
	PARTIALLY_PAID: ("Orange", "#f8814f"),
	PAID: ("Green", "#48bb74"),
	OVERDUE: ("Red", "#f56b6b"),
	CANCELLED: ("Grey", "#525252"),
}


class RegisterFilterError(frappe.ValidationError):
	pass


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	validate_filters(filters)
	rows = get_rows(filters, today=getdate(nowdate()))
	currency = frappe.get_cached_value("Company", filters.company, "default_currency")
	statuses = selected_statuses(filters)
	return (
		get_columns(),
		[row_for_report(row) for row in rows],
		None,
		get_chart(rows, statuses),
		get_summary(rows, statuses, currency),
	)


def validate_filters(filters) -> None:
	for start, end in (("invoice_date_from", "invoice_date_to"), ("due_date_from", "due_date_to")):
		check_date_window(filters, RegisterFilterError, start, end)
	unknown = [status for status in selected_statuses(filters) if status not in STATUSES]
	if unknown:
		frappe.throw(_("Unknown status {0}.").format(", ".join(unknown)), RegisterFilterError)
	if filters.get("sort_by") and filters.sort_by not in SORT_FIELDS:
		frappe.throw(_("Cannot sort by {0}.").format(filters.sort_by), RegisterFilterError)


def selected_statuses(filters) -> list[str]:
	"""The status filter as a list (a MultiSelectList sends a list; a URL a comma-separated text)."""
	value = filters.get("status")
	if isinstance(value, str):
		value = frappe.parse_json(value) if value.startswith("[") else value.split(",")
	statuses = [status.strip() for status in value or [] if status and status.strip()]
	return statuses or list(DEFAULT_STATUSES)


def outstanding_wanted(value) -> bool | None:
	"""has_outstanding as True (still owing), False (nothing to pay) or None (both)."""
	if value in (None, ""):
		return None
	if isinstance(value, str):
		return value.strip().lower() in ("yes", "1", "true")
	return bool(cint(value))


def get_rows(filters, today: date) -> list[frappe._dict]:
	invoice = frappe.qb.DocType(FEE_INVOICE)
	query = (
		frappe.qb.from_(invoice)
		.select(
			invoice.name.as_("fee_invoice"),
			invoice.student,
			invoice.student_name,
			invoice.admission_no,
			invoice.class_section,
			invoice.installment,
			invoice.posting_date,
			invoice.due_date,
			invoice.grand_total,
			invoice.paid_amount,
			invoice.outstanding_amount,
			invoice.status,
			invoice.docstatus,
			invoice.currency,
		)
		.where((invoice.company == filters.company) & (invoice.status.isin(selected_statuses(filters))))
	)
	for field in ("grade", "class_section", "fee_group", "academic_term"):
		if filters.get(field):
			query = query.where(invoice[field] == filters[field])
	for field, start, end in (
		("posting_date", "invoice_date_from", "invoice_date_to"),
		("due_date", "due_date_from", "due_date_to"),
	):
		if filters.get(start):
			query = query.where(invoice[field] >= getdate(filters[start]))
		if filters.get(end):
			query = query.where(invoice[field] <= getdate(filters[end]))
	owing = outstanding_wanted(filters.get("has_outstanding"))
	if owing is True:
		query = query.where((invoice.docstatus == 1) & (invoice.outstanding_amount > 0))
	elif owing is False:
		query = query.where(invoice.outstanding_amount <= 0)
	if filters.get("student"):
		text = filters.student.strip()
		query = query.where(
			(invoice.student == text)
			| (invoice.admission_no == text)
			| (invoice.student_name.like(f"%{text}%"))
		)
	sections = sections_of()
	if sections is not None:
		if not sections:
			return []
		query = query.where(invoice.class_section.isin(sections))
	order = Order.asc if filters.get("sort_order") == "Ascending" else Order.desc
	sort_field = SORT_FIELDS.get(filters.get("sort_by") or "Invoice Date")
	query = query.orderby(invoice[sort_field], order=order).orderby(invoice.name, order=order)
	rows = query.run(as_dict=True)
	for row in rows:
		row.grand_total = to_decimal(row.grand_total)
		row.paid_amount = to_decimal(row.paid_amount)
		row.outstanding_amount = to_decimal(row.outstanding_amount)
		row.days_overdue = days_overdue(row, today)
	return rows


def days_overdue(row, today: date) -> int:
	"""Days past the due date of a submitted invoice still owing (0 otherwise)."""
	if row.docstatus != 1 or row.outstanding_amount <= 0 or not row.due_date:
		return 0
	return max((today - getdate(row.due_date)).days, 0)


def row_for_report(row) -> dict:
	result = dict(row)
	result.pop("docstatus")
	for field in ("grand_total", "paid_amount", "outstanding_amount"):
		result[field] = flt(row[field])
	return result


def active(rows) -> list:
	return [row for row in rows if row.docstatus == 1]


def total(rows, field: str) -> Decimal:
	return sum((row[field] for row in rows), ZERO)


def status_counts(rows, statuses) -> dict[str, int]:
	counts = {status: 0 for status in STATUSES if status in statuses}
	for row in rows:
		counts[row.status] = counts.get(row.status, 0) + 1
	return counts


def get_summary(rows, statuses, currency: str) -> list[dict]:
	live = active(rows)
	summary = [
		{"label": _("Active Invoices"), "value": len(live), "datatype": "Int", "indicator": "Blue"},
		{
			"label": _("Total Billed"),
			"value": flt(total(live, "grand_total")),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Blue",
		},
		{
			"label": _("Total Collected"),
			"value": flt(total(live, "paid_amount")),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Green",
		},
		{
			"label": _("Total Outstanding"),
			"value": flt(total(live, "outstanding_amount")),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Red" if total(live, "outstanding_amount") > 0 else "Green",
		},
	]
	for status, count in status_counts(rows, statuses).items():
		summary.append(
			{
				"label": _(status),
				"value": count,
				"datatype": "Int",
				"indicator": STATUS_COLORS[status][0],
			}
		)
	return summary


def get_chart(rows, statuses) -> dict | None:
	counts = {status: count for status, count in status_counts(rows, statuses).items() if count}
	if not counts:
		return None
	return {
		"data": {
			"labels": [_(status) for status in counts],
			"datasets": [{"name": _("Invoices"), "values": list(counts.values())}],
		},
		"type": "donut",
		"colors": [STATUS_COLORS[status][1] for status in counts],
		"height": 240,
	}


def get_columns() -> list[dict]:
	return [
		column("fee_invoice", _("Fee Invoice"), "Link", 155, FEE_INVOICE),
		column("student", _("Student"), "Link", 105, "Student"),
		column("student_name", _("Student Name"), width=150),
		column("admission_no", _("Admission No"), width=125),
		column("class_section", _("Class Section"), "Link", 135, "Class Section"),
		column("installment", _("Installment"), width=110),
		column("posting_date", _("Invoice Date"), "Date", 110),
		column("due_date", _("Due Date"), "Date", 110),
		money_column("grand_total", _("Grand Total"), 115),
		money_column("paid_amount", _("Paid Amount"), 115),
		money_column("outstanding_amount", _("Outstanding Amount"), 130),
		column("status", _("Status"), width=110),
		{**column("days_overdue", _("Days Overdue"), "Int", 100), "disable_total": 1},
		currency_column(),
	]
