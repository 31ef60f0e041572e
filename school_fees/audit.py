"""Fee Audit Log: who changed what, when, from where. Rows are written by the app only.

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
) -> dict:
	"""The values of one Fee Audit Log row (used as-is by the bulk billing path)."""
	check_transition(reference_doctype, reference_name, from_status, to_status)
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


def log_read(reference_doctype: str, reference_name: str, action: str, reason: str | None = None) -> None:
	"""Audit a read (a view, a print, a download): the row is kept although the request is a GET,
	which Frappe commits only when asked (frappe.app.sync_database), as it does for `_seen`."""
	log(reference_doctype, reference_name, action, reason=reason)
	frappe.local.flags.commit = True


def log_rows(rows: list[dict]) -> None:
	"""Write many audit rows (made with audit_row) with one INSERT."""
	if not rows:
		return
	new_rows = NewRows()
	insert_rows([new_rows.new("Fee Audit Log", row) for row in rows])
