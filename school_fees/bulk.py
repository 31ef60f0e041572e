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

Bulk PDF export (`export_invoices_pdf`): one PDF whose first page is a register of the selection
(per school and currency: count, billed, collected and outstanding per status, and the issued total;
a Jinja template rendered by frappe.utils.pdf.get_pdf), followed by every invoice exactly as Frappe
prints it alone, all in one pypdf writer, saved as a private File of the user. The invoices are
printed by school_fees.printing: each one's print HTML from frappe.get_print, up to 100 of them per
wkhtmltopdf run. One frappe.get_print(as_pdf=True) per invoice (one wkhtmltopdf run each, as Frappe's
download_multi_pdf does) took ~0.56 s an invoice, 111 s for 200, at the edge of a web request's
timeout; now ~0.11 s, 22 s for 200 (benchmarks/bulk_export.py). The user must be able to read every
selected invoice, or nothing is exported. Frappe's Print Settings decide whether drafts and cancelled
invoices print (cancelled ones do not by default): those it refuses are counted on the register and
listed there as not printed. Up to `BACKGROUND_THRESHOLD` invoices the request answers
``{"file_url": ...}``; above it a job on the ``long`` queue publishes progress and leaves the link to
the file in a Notification Log (the bell), like the bulk cancel. The export is audited per invoice:
one Fee Audit Log row "Exported" for each invoice in the file (user, time, the requester's IP, also
for a queued export) whose reason says how many invoices the file holds and its name, so the export
shows in each exported invoice's history and in the Fee Audit Trail filtered by document (one row for
the whole export could name no document). Like every Frappe print to PDF, wkhtmltopdf loads the print
stylesheet from the site's URL (host_name), which must be reachable from the server itself.
"""

from io import BytesIO

from pypdf import PdfWriter

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, escape_html, fmt_money, format_datetime, now_datetime, strip_html
from frappe.utils.pdf import get_pdf

from school_fees import audit
from school_fees.background import enqueue_long, notify_user, progress_publisher
from school_fees.background import selection as parse_selection
from school_fees.core.money import ZERO, to_decimal
from school_fees.core.status import CANCELLED, DRAFT, ISSUED, OVERDUE, PAID, PARTIALLY_PAID
from school_fees.printing import append_prints
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import (
	CANCEL_ROLES,
	CANCELLATION_REASON_MIN_LENGTH,
	CancellationReasonError,
	cancel_fee_invoice,
)

FEE_INVOICE = "Fee Invoice"

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


class BulkExportNotPermittedError(frappe.PermissionError):
	pass


class BulkExportSelectionError(frappe.ValidationError):
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
		return enqueue_long(
			JOB_METHOD, "school_fees_bulk_cancel", len(names), SECONDS_PER_INVOICE, names=names, reason=reason
		)
	return cancel_each(names, reason)


def run_bulk_cancel(names: list[str], reason: str) -> dict:
	"""The background job of a large bulk cancel (runs as the user who asked): commits after each
	invoice, publishes progress, and records the result in a Notification Log for that user."""
	check_can_cancel()
	progress = progress_publisher(_("Cancelling Fee Invoices"), _("{0} of {1} invoices"))
	result = cancel_each(names, reason, commit_each=True, progress=progress)
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
	return parse_selection(names, _("Select at least one Fee Invoice to cancel."), BulkCancelSelectionError)


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
	notify_user(subject, "".join(body))


# ---------------------------------------------------------------- bulk PDF export

EXPORT_JOB_METHOD = "school_fees.bulk.run_bulk_export"
EXPORT_SECONDS_PER_INVOICE = 2
EXPORT_ACTION = "Exported"
REGISTER_TEMPLATE = "school_fees/templates/bulk/fee_invoice_export_register.html"
# the register's rows, in the order of an invoice's life
REGISTER_STATUSES = (DRAFT, ISSUED, PARTIALLY_PAID, OVERDUE, PAID, CANCELLED)
# invoices listed by name on the register as not printed (the rest are counted), to keep it one page
NOT_PRINTED_SHOWN = 20


@frappe.whitelist(methods=["POST"])
def export_invoices_pdf(names: list[str] | str, print_format: str | None = None) -> dict:
	"""One PDF of the given Fee Invoices: a register of the selection on the first page, then every
	invoice as Frappe prints it (``print_format``, default the Fee Invoice's default print format).

	Refused as a whole unless the user may read every invoice. Returns ``{"file_url": ...}`` (a
	private File); above BACKGROUND_THRESHOLD invoices the work is queued and ``{"queued": True,
	"job_id": ..., "count": n}`` is returned (the link then arrives as a Notification Log)."""
	names = export_selection(names)
	print_format = check_print_format(print_format)
	check_can_export(names)
	if len(names) > BACKGROUND_THRESHOLD:
		return enqueue_long(
			EXPORT_JOB_METHOD,
			"school_fees_bulk_export",
			len(names),
			EXPORT_SECONDS_PER_INVOICE,
			names=names,
			print_format=print_format,
			ip_address=audit.request_ip(),
		)
	return {"file_url": export_pdf(names, print_format).file_url}


def run_bulk_export(names: list[str], print_format: str | None = None, ip_address: str | None = None) -> dict:
	"""The background job of a large export (runs as the user who asked): checks the permissions
	again, publishes progress, and leaves the link to the file in a Notification Log for that user.
	A failure is reported to the user the same way, then raised (the job fails visibly)."""
	check_can_export(names)
	try:
		progress = progress_publisher(_("Exporting Fee Invoices to PDF"), _("{0} of {1} invoices"))
		file = export_pdf(names, print_format, progress=progress, ip_address=ip_address)
	except Exception as error:
		frappe.db.rollback()
		notify_export_failed(len(names), error)
		frappe.db.commit()
		raise
	notify_export(file, len(names))
	frappe.db.commit()
	return {"file_url": file.file_url}


def export_pdf(
	names: list[str], print_format: str | None = None, progress=None, ip_address: str | None = None
) -> Document:
	"""Build the merged PDF (register, then each invoice as Frappe prints it alone, through
	printing.append_prints: a failed print fails the export instead of leaving its pages out, unlike
	Frappe's download_multi_pdf), save it as a private File of the user and record the export on every
	printed invoice in the Fee Audit Log.

	Frappe's Print Settings decide whether drafts and cancelled invoices print (a cancelled one does
	not by default): those they refuse are counted on the register and listed there as not printed."""
	invoices = selected_invoices(names)
	refused = not_printable(invoices)
	printed = [name for name in names if name not in refused]
	if not printed:
		frappe.throw(
			_("None of the selected Fee Invoices may be printed: {0}").format(
				"; ".join(sorted(set(refused.values())))
			),
			BulkExportSelectionError,
		)
	writer = PdfWriter()
	get_pdf(register_html(invoices, refused, print_format), output=writer)
	append_prints(FEE_INVOICE, printed, print_format, writer, progress=progress)
	with BytesIO() as merged:
		writer.write(merged)
		content = merged.getvalue()
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"fee-invoices-{now_datetime():%Y%m%d-%H%M%S}-{len(printed)}.pdf",
			"content": content,
			"is_private": 1,
		}
	)
	file.insert(ignore_permissions=True)
	record_export(printed, file.file_name, ip_address)
	return file


def selected_invoices(names: list[str]) -> list[frappe._dict]:
	"""The figures of the selected invoices, in the order selected."""
	rows = {
		row.name: row
		for row in frappe.get_all(
			FEE_INVOICE,
			filters={"name": ("in", names)},
			fields=[
				"name",
				"company",
				"currency",
				"status",
				"docstatus",
				"grand_total",
				"paid_amount",
				"outstanding_amount",
			],
		)
	}
	return [rows[name] for name in names]


def not_printable(invoices: list[frappe._dict]) -> dict[str, str]:
	"""name -> why Print Settings refuse to print it (drafts / cancelled documents not allowed)."""
	settings = frappe.get_single("Print Settings")
	reasons = {
		0: None if cint(settings.allow_print_for_draft) else _("Print Settings do not allow printing drafts"),
		2: None
		if cint(settings.allow_print_for_cancelled)
		else _("Print Settings do not allow printing cancelled documents"),
	}
	return {row.name: reasons[row.docstatus] for row in invoices if reasons.get(row.docstatus)}


def record_export(names: list[str], file_name: str, ip_address: str | None = None) -> None:
	"""One "Exported" row per invoice (so each invoice's history and the audit trail filtered by
	document show it), with who, when, from where (the requester's IP, also for a queued export) and,
	in the reason, how many invoices the file holds and its name."""
	reason = _("Exported to PDF with {0} invoices in {1}").format(len(names), file_name)
	for name in names:
		row = audit.audit_row(FEE_INVOICE, name, EXPORT_ACTION, reason=reason)
		row["ip_address"] = ip_address or row["ip_address"]
		doc = frappe.new_doc("Fee Audit Log")
		doc.update(row)
		doc.insert(ignore_permissions=True)


# ---------------------------------------------------------------- export checks


def export_selection(names: list[str] | str) -> list[str]:
	"""The selected names (as `selection` parses them), each an existing Fee Invoice."""
	names = parse_selection(names, _("Select at least one Fee Invoice to export."), BulkExportSelectionError)
	found = set(frappe.get_all(FEE_INVOICE, filters={"name": ("in", names)}, pluck="name"))
	missing = [name for name in names if name not in found]
	if missing:
		frappe.throw(
			_("Fee Invoice {0} does not exist.").format(", ".join(missing)),
			BulkExportSelectionError,
		)
	return names


def check_print_format(print_format: str | None) -> str | None:
	"""None (the Fee Invoice's default print format), "Standard", or an enabled Print Format of Fee
	Invoice."""
	if not print_format or print_format == "Standard":
		return print_format or None
	doc_type, disabled = frappe.db.get_value("Print Format", print_format, ["doc_type", "disabled"]) or (
		None,
		None,
	)
	if doc_type != FEE_INVOICE or disabled:
		frappe.throw(
			_("{0} is not a print format of Fee Invoice.").format(frappe.bold(print_format)),
			BulkExportSelectionError,
		)
	return print_format


def check_can_export(names: list[str]) -> None:
	"""Checked on the server, for the request and again in the job: the user must be able to read
	every selected invoice (roles, User Permission on the school, a class teacher's sections);
	otherwise nothing is exported and the invoices refused are named."""
	refused = [name for name in names if not frappe.has_permission(FEE_INVOICE, "read", doc=name)]
	frappe.flags.pop("error_message", None)  # has_permission's own text would pop up beside ours
	if refused:
		shown = ", ".join(refused[:20]) + (" …" if len(refused) > 20 else "")
		frappe.throw(
			_("You may not read Fee Invoice {0}: nothing was exported.").format(shown),
			BulkExportNotPermittedError,
			title=_("Not Permitted"),
		)


# ---------------------------------------------------------------- the register page


def register_html(
	invoices: list[frappe._dict], not_printed: dict[str, str], print_format: str | None = None
) -> str:
	"""The first page: count and totals (billed, collected, outstanding) per status, for each school
	and currency of the selection, and the invoices Print Settings kept out of the file; Decimal
	sums, formatted in the school's currency."""
	return frappe.render_template(
		REGISTER_TEMPLATE,
		{
			"lang": frappe.local.lang,
			"count": len(invoices),
			"printed": len(invoices) - len(not_printed),
			"not_printed": list(not_printed.items())[:NOT_PRINTED_SHOWN],
			"not_printed_more": max(0, len(not_printed) - NOT_PRINTED_SHOWN),
			"schools": sorted({row.company for row in invoices}),
			"sections": register_sections(invoices),
			"exported_by": exported_by(frappe.session.user),
			"exported_on": format_datetime(now_datetime()),
			"print_format": print_format or frappe.get_meta(FEE_INVOICE).default_print_format or "Standard",
		},
	)


def exported_by(user: str) -> str:
	full_name = frappe.utils.get_fullname(user)
	return user if full_name == user else f"{full_name} ({user})"


def register_sections(invoices: list[frappe._dict]) -> list[dict]:
	"""One section per (school, currency): a row per status present, the issued total and the count."""
	sections = []
	for company, currency in sorted({(row.company, row.currency) for row in invoices}):
		rows = [row for row in invoices if (row.company, row.currency) == (company, currency)]
		currency = currency or frappe.get_cached_value("Company", company, "default_currency")
		by_status = {
			status: figures([row for row in rows if row.status == status], currency)
			for status in REGISTER_STATUSES
			if any(row.status == status for row in rows)
		}
		sections.append(
			{
				"company": company,
				"currency": currency,
				"rows": [{"status": status, **values} for status, values in by_status.items()],
				"issued": figures([row for row in rows if row.docstatus == 1], currency),
				"count": len(rows),
			}
		)
	return sections


def figures(rows: list[frappe._dict], currency: str) -> dict:
	def total(field: str) -> str:
		amount = sum((to_decimal(row[field]) for row in rows), ZERO)
		return fmt_money(amount, currency=currency)

	return {
		"count": len(rows),
		"billed": total("grand_total"),
		"collected": total("paid_amount"),
		"outstanding": total("outstanding_amount"),
	}


# ---------------------------------------------------------------- export job helpers


def notify_export(file: Document, count: int) -> None:
	"""The job's result for the user who asked: a Notification Log whose link opens the PDF."""
	url = file.unique_url
	notify_user(
		_("PDF export of {0} Fee Invoices is ready").format(count),
		f'<p><a href="{escape_html(url)}">{escape_html(file.file_name)}</a></p>',
		link=url,
		document_type="File",
		document_name=file.name,
	)


def notify_export_failed(count: int, error: Exception) -> None:
	notify_user(
		_("PDF export of {0} Fee Invoices failed").format(count),
		f"<p>{escape_html(strip_html(str(error)) or type(error).__name__)}</p>",
	)
