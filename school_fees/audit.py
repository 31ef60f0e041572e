"""Fee Audit Log: who changed, viewed, printed or exported what, when, from where. Rows are written
by the app only (reads: school_fees.access_audit).

Each row carries the school (``company``) of its document, so a User Permission on Company limits
the log to the user's schools exactly as it limits the documents themselves.

Every status change of a Fee Invoice passes through here, so this is also where the allowed
transitions of core.status are enforced: a change the life cycle does not allow is refused
before it is recorded (and the transaction that attempted it is rolled back with it).
"""

import frappe
from frappe import _
from frappe.utils import now_datetime

from school_fees.core.status import is_allowed_transition
from school_fees.rows import NewRows, insert_rows

FEE_INVOICE = "Fee Invoice"
AUDIT_LOG = "Fee Audit Log"


class InvalidStatusTransitionError(frappe.ValidationError):
	"""A Fee Invoice status change that its life cycle does not allow."""


def request_ip() -> str | None:
	return getattr(frappe.local, "request_ip", None)


def check_transition(reference_doctype: str, reference_name: str, from_status, to_status) -> None:
	"""Refuse a Fee Invoice status change the life cycle does not allow (core.status)."""
	if reference_doctype != FEE_INVOICE or not from_status or not to_status or from_status == to_status:
		return
	if not is_allowed_transition(from_status, to_status):
		frappe.throw(
			_("Fee Invoice {0} cannot go from {1} to {2}.").format(
				frappe.bold(reference_name), _(from_status), _(to_status)
			),
			InvalidStatusTransitionError,
		)


def audit_row(
	reference_doctype: str,
	reference_name: str,
	action: str,
	from_status: str | None = None,
	to_status: str | None = None,
	reason: str | None = None,
	company: str | None = None,
) -> dict:
	"""The values of one Fee Audit Log row (used as-is by the bulk paths, which pass the school they
	already hold; otherwise it is read from the document)."""
	check_transition(reference_doctype, reference_name, from_status, to_status)
	return {
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"company": company or school_of(reference_doctype, reference_name),
		"action": action,
		"from_status": from_status,
		"to_status": to_status,
		"user": frappe.session.user,
		"timestamp": now_datetime(),
		"ip_address": request_ip(),
		"reason": reason,
	}


def school_of(reference_doctype: str, reference_name: str) -> str | None:
	"""The school of an audited document: its ``company``, when its doctype has one."""
	if not frappe.get_meta(reference_doctype).has_field("company"):
		return None
	return frappe.db.get_value(reference_doctype, reference_name, "company")


def audited_doctypes_with_school() -> list[str]:
	"""The doctypes named in the log whose documents carry a school (a ``company`` field)."""
	doctypes = frappe.get_all(
		AUDIT_LOG, distinct=True, pluck="reference_doctype", order_by="reference_doctype"
	)
	return [
		doctype
		for doctype in doctypes
		if frappe.db.exists("DocType", doctype) and frappe.get_meta(doctype).has_field("company")
	]


def log(
	reference_doctype: str,
	reference_name: str,
	action: str,
	from_status: str | None = None,
	to_status: str | None = None,
	reason: str | None = None,
	company: str | None = None,
) -> None:
	doc = frappe.new_doc(AUDIT_LOG)
	doc.update(audit_row(reference_doctype, reference_name, action, from_status, to_status, reason, company))
	doc.flags.ignore_permissions = True
	doc.insert()


def log_read(
	reference_doctype: str,
	reference_name: str,
	action: str,
	reason: str | None = None,
	company: str | None = None,
) -> None:
	"""Audit a read (a view, a print, a download): the row is kept although the request is a GET,
	which Frappe commits only when asked (frappe.app.sync_database), as it does for `_seen`."""
	log(reference_doctype, reference_name, action, reason=reason, company=company)
	frappe.local.flags.commit = True


def log_rows(rows: list[dict]) -> None:
	"""Write many audit rows (made with audit_row) with one INSERT."""
	if not rows:
		return
	new_rows = NewRows()
	insert_rows([new_rows.new(AUDIT_LOG, row) for row in rows])
