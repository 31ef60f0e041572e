"""Bulk actions on Fee Invoices chosen in the list view.

Bulk cancel (`cancel_invoices`): one reason for every selected invoice; each invoice is cancelled on
its own through the same path as the form's Cancel (fee_invoice.cancel_fee_invoice: lock, reason /
role / allocation checks, cancel permission, cancel), inside a savepoint, so an invoice that is
refused (a receipt or credit allocated to it, a live late fee, a draft, ...) is rolled back alone,
reported by name with its message, and blocks nothing else. Every cancelled invoice keeps the reason
on itself and in its Fee Audit Log ("Cancelled"), exactly as a cancel from the form does.

Up to `BACKGROUND_THRESHOLD` invoices the request does the work and answers
``{"cancelled": [...], "failed": {name: message}}``. Above it, the work runs as a background job on
the ``long`` queue (a single request never blocks the office): the request answers
``{"queued": True, "job_id": ..., "count": n}``; the job commits after each invoice, sends progress
to the user who asked (``frappe.publish_progress``: the desk's progress bar) and, when done, leaves
the result where that user can open it: a **Notification Log** (the bell) whose subject gives the
counts and whose body lists the reason, every refused invoice with its message and every cancelled
one. The job also returns the same dict as the request path (kept as the RQ job's result).
"""

import frappe
from frappe import _
from frappe.utils import cint, escape_html, strip_html

from school_fees.school_fees.doctype.fee_invoice.fee_invoice import (
	CANCEL_ROLES,
	CANCELLATION_REASON_MIN_LENGTH,
	CancellationReasonError,
	cancel_fee_invoice,
)

BACKGROUND_THRESHOLD = 200
SAVEPOINT = "bulk_cancel_invoice"
JOB_METHOD = "school_fees.bulk.run_bulk_cancel"
SECONDS_PER_INVOICE = 3
# what refuses one invoice without spoiling the transaction: reported, and the batch goes on
REFUSALS = (frappe.ValidationError, frappe.PermissionError, frappe.QueryTimeoutError)


class BulkCancelNotPermittedError(frappe.PermissionError):
	pass


class BulkCancelSelectionError(frappe.ValidationError):
	pass


@frappe.whitelist(methods=["POST"])
def cancel_invoices(names: list[str] | str, reason: str) -> dict:
	"""Cancel the given issued Fee Invoices with one reason, as a Fees Manager.

	Returns ``{"cancelled": [names], "failed": {name: message}}``; above BACKGROUND_THRESHOLD
	invoices the work is queued and ``{"queued": True, "job_id": ..., "count": n}`` is returned (the
	result then arrives as a Notification Log)."""
	check_can_cancel()
	names = selection(names)
	reason = check_reason(reason)
	if len(names) > BACKGROUND_THRESHOLD:
		job_id = f"school_fees_bulk_cancel::{frappe.generate_hash(length=12)}"
		frappe.enqueue(
			JOB_METHOD,
			queue="long",
			timeout=max(1500, SECONDS_PER_INVOICE * len(names)),
			job_id=job_id,
			enqueue_after_commit=True,
			names=names,
			reason=reason,
		)
		return {"queued": True, "job_id": job_id, "count": len(names)}
	return cancel_each(names, reason)


def run_bulk_cancel(names: list[str], reason: str) -> dict:
	"""The background job of a large bulk cancel (runs as the user who asked): commits after each
	invoice, publishes progress, and records the result in a Notification Log for that user."""
	check_can_cancel()
	result = cancel_each(names, reason, commit_each=True, progress=publish_progress)
	notify_result(result, reason)
	frappe.db.commit()
	return result


def cancel_each(names: list[str], reason: str, commit_each: bool = False, progress=None) -> dict:
	"""Cancel the invoices one by one, each inside a savepoint; a refusal rolls back that invoice
	only and is reported with its message."""
	cancelled, failed = [], {}
	for done, name in enumerate(names, start=1):
		frappe.db.savepoint(SAVEPOINT)
		messages_before = len(frappe.local.message_log)
		try:
			cancel_fee_invoice(name, reason)
		except REFUSALS as e:
			frappe.db.rollback(save_point=SAVEPOINT)
			# the refusal goes into the result, not into the response's pop-ups
			frappe.local.message_log = frappe.local.message_log[:messages_before]
			failed[name] = refusal_message(e, name)
		else:
			frappe.db.release_savepoint(SAVEPOINT)
			cancelled.append(name)
		if commit_each:
			frappe.db.commit()
		if progress:
			progress(done, len(names))
	return {"cancelled": cancelled, "failed": failed}


def refusal_message(error: Exception, name: str) -> str:
	"""Plain text of why an invoice was refused (a permission error may carry its text in
	frappe.flags.error_message only)."""
	flagged = frappe.flags.pop("error_message", None) if isinstance(error, frappe.PermissionError) else None
	message = strip_html(str(error) or flagged or "").strip()
	return message or _("Not permitted to cancel Fee Invoice {0}.").format(name)


# ---------------------------------------------------------------- checks


def check_can_cancel() -> None:
	"""Checked on the server, for the request and again in the job: only a Fees Manager cancels."""
	if not set(CANCEL_ROLES) & set(frappe.get_roles()):
		frappe.throw(
			_("Only a Fees Manager can cancel Fee Invoices."),
			BulkCancelNotPermittedError,
			title=_("Not Permitted"),
		)


def selection(names: list[str] | str) -> list[str]:
	"""The selected names, parsed from the request, without blanks or repeats, in the given order."""
	if isinstance(names, str):
		names = frappe.parse_json(names) if names.strip().startswith("[") else names.split(",")
	names = list(dict.fromkeys(str(n).strip() for n in names or [] if n and str(n).strip()))
	if not names:
		frappe.throw(_("Select at least one Fee Invoice to cancel."), BulkCancelSelectionError)
	return names


def check_reason(reason: str | None) -> str:
	reason = (reason or "").strip()
	if len(reason) < CANCELLATION_REASON_MIN_LENGTH:
		frappe.throw(
			_("Give a reason of at least {0} characters to cancel the selected Fee Invoices.").format(
				CANCELLATION_REASON_MIN_LENGTH
			),
			CancellationReasonError,
			title=_("Reason Required"),
		)
	return reason


# ---------------------------------------------------------------- background job helpers


def publish_progress(done: int, total: int) -> None:
	step = max(1, total // 100)
	if done == total or done % step == 0:
		frappe.publish_progress(
			cint(done * 100 / total),
			title=_("Cancelling Fee Invoices"),
			description=_("{0} of {1} invoices").format(done, total),
		)


def notify_result(result: dict, reason: str) -> None:
	"""The job's result as a Notification Log for the user who asked (opened from the bell)."""
	cancelled, failed = result["cancelled"], result["failed"]
	subject = _("Bulk cancel of Fee Invoices finished: {0} cancelled, {1} refused").format(
		len(cancelled), len(failed)
	)

	def link(name: str) -> str:
		return f'<a href="/app/fee-invoice/{escape_html(name)}">{escape_html(name)}</a>'

	body = [f"<p>{_('Reason')}: {escape_html(reason)}</p>"]
	if failed:
		body.append(f"<p><b>{_('Refused')}</b></p><ul>")
		body.extend(f"<li>{link(name)}: {escape_html(message)}</li>" for name, message in failed.items())
		body.append("</ul>")
	if cancelled:
		body.append(f"<p><b>{_('Cancelled')}</b></p><p>{', '.join(link(name) for name in cancelled)}</p>")
	notification = frappe.new_doc("Notification Log")
	notification.update(
		{
			"for_user": frappe.session.user,
			"from_user": frappe.session.user,
			"type": "Alert",
			"subject": subject,
			"email_content": "".join(body),
		}
	)
	notification.insert(ignore_permissions=True)
