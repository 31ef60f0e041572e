"""Fee Audit Log: who changed what, when, from where. Rows are written by the app only."""

import frappe
from frappe.utils import now_datetime


def request_ip() -> str | None:
	return getattr(frappe.local, "request_ip", None)


def audit_row(
	reference_doctype: str,
	reference_name: str,
	action: str,
	from_status: str | None = None,
	to_status: str | None = None,
	reason: str | None = None,
) -> dict:
	"""The values of one Fee Audit Log row (used as-is by the bulk billing path)."""
	return {
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"action": action,
		"from_status": from_status,
		"to_status": to_status,
		"user": frappe.session.user,
		"timestamp": now_datetime(),
		"ip_address": request_ip(),
		"reason": reason,
	}


def log(
	reference_doctype: str,
	reference_name: str,
	action: str,
	from_status: str | None = None,
	to_status: str | None = None,
	reason: str | None = None,
) -> None:
	doc = frappe.new_doc("Fee Audit Log")
	doc.update(audit_row(reference_doctype, reference_name, action, from_status, to_status, reason))
	doc.flags.ignore_permissions = True
	doc.insert()


def log_status_change(reference_doctype: str, reference_name: str, from_status, to_status, reason=None):
	log(reference_doctype, reference_name, "Status Change", from_status, to_status, reason)
