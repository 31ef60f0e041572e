"""Fee Audit Trail: the Fee Audit Log of a school, for inspections (CBSE, Income Tax, GST) and disputes.

One row per audit entry (who did what to which fee document, when, from which IP, and why), in the
order it happened (timestamp, then the order the rows were written). CSV / Excel come from the
report's standard Export; Print and PDF use ``fee_audit_trail.html`` beside this file.

A row belongs to the school it carries (``company``: the school of its document, written with the
row by school_fees.audit; rows older than that field were given theirs by the patch
``fee_audit_log_company``). A row with no school (a document without one) is in no school's trail.

Filters: ``company`` (a school, or a trust: every school under it that the user may read; checked
with school_fees.permissions.check_school_access), ``reference_doctype``, ``reference_name``,
``user``, ``action`` (exact: Created, Issued, Status Change, Cancelled, Deleted, Exported, ...),
``from_date`` / ``to_date`` (a window on the timestamp, whole days, both included).
"""

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.utils import add_days, getdate

from school_fees.audit import AUDIT_LOG
from school_fees.permissions import check_school_access, may_access_school
from school_fees.school_fees.report.common import check_date_window


class AuditTrailFilterError(frappe.ValidationError):
	pass


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	validate_filters(filters)
	rows = get_rows(filters, trail_companies(filters.company))
	return get_columns(), rows, None, None, get_summary(rows)


def validate_filters(filters) -> None:
	check_date_window(filters, AuditTrailFilterError)
	if filters.reference_name and not filters.reference_doctype:
		frappe.throw(_("Choose the Document Type of the document."), AuditTrailFilterError)


def trail_companies(company: str) -> list[str]:
	"""The school itself, or for a trust (a group Company) it and every company under it, that the
	user may see (permissions.may_access_school). Unlike permissions.readable_schools the trust
	itself is kept: a report exported for the whole trust is recorded against it."""
	lft, rgt = frappe.db.get_value("Company", company, ["lft", "rgt"])
	companies = frappe.get_all(
		"Company", filters={"lft": (">=", lft), "rgt": ("<=", rgt)}, pluck="name", order_by="lft"
	)
	return [name for name in companies if may_access_school(name)]


def get_rows(filters, schools: list[str]) -> list[dict]:
	if not schools:
		return []
	log = frappe.qb.DocType(AUDIT_LOG)
	query = (
		frappe.qb.from_(log)
		.select(
			log.timestamp,
			log.reference_doctype,
			log.reference_name,
			log.action,
			log.from_status,
			log.to_status,
			log.user,
			log.ip_address,
			log.reason,
		)
		.where(log.company.isin(schools))
	)
	if filters.reference_doctype:
		query = query.where(log.reference_doctype == filters.reference_doctype)
	if filters.reference_name:
		query = query.where(log.reference_name == filters.reference_name)
	if filters.user:
		query = query.where(log.user == filters.user)
	if filters.action:
		query = query.where(log.action == filters.action)
	if filters.from_date:
		query = query.where(log.timestamp >= getdate(filters.from_date))
	if filters.to_date:
		query = query.where(log.timestamp < add_days(getdate(filters.to_date), 1))

	return (
		query.orderby(log.timestamp, order=Order.asc).orderby(log.creation, order=Order.asc).run(as_dict=True)
	)


def get_columns() -> list[dict]:
	return [
		{"label": _("Timestamp"), "fieldname": "timestamp", "fieldtype": "Datetime", "width": 180},
		{
			"label": _("Document Type"),
			"fieldname": "reference_doctype",
			"fieldtype": "Link",
			"options": "DocType",
			"width": 140,
		},
		{
			"label": _("Document"),
			"fieldname": "reference_name",
			"fieldtype": "Dynamic Link",
			"options": "reference_doctype",
			"width": 160,
		},
		{"label": _("Action"), "fieldname": "action", "fieldtype": "Data", "width": 120},
		{"label": _("From Status"), "fieldname": "from_status", "fieldtype": "Data", "width": 110},
		{"label": _("To Status"), "fieldname": "to_status", "fieldtype": "Data", "width": 110},
		{"label": _("User"), "fieldname": "user", "fieldtype": "Link", "options": "User", "width": 180},
		{"label": _("IP Address"), "fieldname": "ip_address", "fieldtype": "Data", "width": 120},
		{"label": _("Reason"), "fieldname": "reason", "fieldtype": "Small Text", "width": 300},
	]


def get_summary(rows: list[dict]) -> list[dict]:
	cancellations = sum(1 for row in rows if row.action == "Cancelled")
	return [
		{"label": _("Entries"), "value": len(rows), "datatype": "Int", "indicator": "Blue"},
		{
			"label": _("Documents"),
			"value": len({(row.reference_doctype, row.reference_name) for row in rows}),
			"datatype": "Int",
			"indicator": "Blue",
		},
		{
			"label": _("Users"),
			"value": len({row.user for row in rows if row.user}),
			"datatype": "Int",
			"indicator": "Blue",
		},
		{
			"label": _("Cancellations"),
			"value": cancellations,
			"datatype": "Int",
			"indicator": "Red" if cancellations else "Grey",
		},
	]
