"""Reads of fee documents in the Fee Audit Log: who opened, printed or exported what, when, from
which IP (seed 004's audit of "every view and bulk export").

Frappe keeps its own records of some of these (View Log for a form opened, Access Log for a print or
an export) but without the IP, and the Access Log is written with ``db_insert``, which runs no hooks.
So the app records them where they happen:

- a form opened: Frappe inserts a View Log for the DocTypes that track views (the four vouchers);
  its ``after_insert`` (``on_view_log``) adds a "Viewed" row in the same transaction;
- a print (``/printview``), a PDF (``download_pdf``, ``download_multi_pdf`` and its async variant), a report export
  (``frappe.desk.query_report.export_query`` of a School Fees report) and a list/report-view export
  (``frappe.desk.reportview.export_query`` of a School Fees DocType): ``after_request`` looks at the
  request once it has succeeded and writes "Printed" / "Exported" rows (Data Export and Data Import
  exports of records count as list exports). Frappe has committed the
  request's own work by then, so these rows are committed here.

The app's own reads (portal views and downloads, statements, the bulk PDF export) record themselves
where they are served.
"""

import json
from typing import NamedTuple

import frappe
from frappe import _

from school_fees import audit

VIEWED = "Viewed"
PRINTED = "Printed"
EXPORTED = "Exported"
MODULE = "School Fees"
TRACKED_VIEWS = ("Fee Invoice", "Payment Allocation", "Credit Note", "Deposit")

PRINT_VIEW_PATH = "/printview"
DOWNLOAD_PDF = "frappe.utils.print_format.download_pdf"
MULTI_PDF = (
	"frappe.utils.print_format.download_multi_pdf",
	"frappe.utils.print_format.download_multi_pdf_async",
)
REPORT_EXPORT = "frappe.desk.query_report.export_query"
# list exports: method -> the arguments naming its doctype, file format and filters, and whether
# the call exported records (Data Export and Data Import also hand out empty templates)
LIST_EXPORTS = {
	"frappe.desk.reportview.export_query": ("doctype", "file_format_type", "filters", lambda args: True),
	"frappe.core.doctype.data_export.exporter.export_data": (
		"doctype",
		"file_type",
		"filters",
		lambda args: str(args.with_data).lower() in ("1", "true"),
	),
	"frappe.core.doctype.data_import.data_import.download_template": (
		"doctype",
		"file_type",
		"export_filters",
		lambda args: args.export_records not in (None, "", "blank_template"),
	),
}


class Read(NamedTuple):
	"""One fee document (or report, or list) a request printed or exported."""

	doctype: str
	name: str
	action: str
	reason: str
	company: str | None = None


def on_view_log(view_log, method=None) -> None:
	"""View Log after_insert: a fee voucher's form was opened."""
	if view_log.reference_doctype in TRACKED_VIEWS:
		audit.log(view_log.reference_doctype, view_log.reference_name, VIEWED)


def after_request(response=None, request=None) -> None:
	"""Frappe's after_request hook: record the prints and exports of fee documents the request
	served. A refused or failed request records nothing."""
	if not request or not response or response.status_code >= 400 or not getattr(frappe.local, "db", None):
		return
	rows = [
		audit.audit_row(read.doctype, read.name, read.action, reason=read.reason, company=read.company)
		for read in reads_of(request.path)
	]
	if not rows:
		return
	audit.log_rows(rows)
	# Frappe has already committed (or rolled back) the request's transaction and commits nothing
	# after this hook; a test calling the hook itself keeps its rows inside its own transaction.
	if not frappe.flags.in_test:
		frappe.db.commit()


def reads_of(path: str) -> list[Read]:
	"""What the request printed or exported, from its path and its arguments (frappe.form_dict)."""
	args = frappe.form_dict
	if path == PRINT_VIEW_PATH:
		return document_prints(
			[(args.doctype, args.name)], _("Print Format: {0}").format(args.format or "Standard")
		)
	# the desk posts some downloads to "/" with ``cmd`` (query_report.js export: open_url_post)
	method = path.rpartition("/method/")[2] if "/method/" in path else args.cmd
	if method == DOWNLOAD_PDF:
		return document_prints([(args.doctype, args.name)], _("PDF ({0})").format(args.format or "Standard"))
	if method in MULTI_PDF:
		return document_prints(multi_pdf_documents(args.doctype, args.name), _("PDF of several documents"))
	if method == REPORT_EXPORT:
		return report_export(args)
	if method in LIST_EXPORTS:
		return list_export(args, *LIST_EXPORTS[method])
	return []


def document_prints(documents: list[tuple], reason: str) -> list[Read]:
	return [
		Read(doctype, name, PRINTED, reason)
		for doctype, name in documents
		if doctype and name and is_fee_doctype(doctype)
	]


def multi_pdf_documents(doctype, names) -> list[tuple]:
	"""download_multi_pdf takes either a doctype and a list of names, or {doctype: [names]}."""
	parsed = parse(doctype)
	if isinstance(parsed, dict):
		return [(dt, name) for dt, dt_names in parsed.items() for name in dt_names or []]
	return [(doctype, name) for name in parse(names) or []]


def report_export(args) -> list[Read]:
	report = args.report_name
	if not report or frappe.db.get_value("Report", report, "module") != MODULE:
		return []
	filters = parse(args.filters) or {}
	reason = _("Report exported as {0}; filters: {1}").format(args.file_format_type or "-", describe(filters))
	return [Read("Report", report, EXPORTED, reason, filters.get("company") or default_school())]


def list_export(args, doctype_arg: str, format_arg: str, filters_arg: str, exported_records) -> list[Read]:
	doctype = args.get(doctype_arg)
	if not doctype or not is_fee_doctype(doctype) or not exported_records(args):
		return []
	filters = parse(args.get(filters_arg))
	reason = _("List exported as {0}; filters: {1}").format(args.get(format_arg) or "CSV", describe(filters))
	return [Read("DocType", doctype, EXPORTED, reason, filter_company(filters) or default_school())]


def is_fee_doctype(doctype) -> bool:
	return isinstance(doctype, str) and frappe.db.get_value("DocType", doctype, "module") == MODULE


def filter_company(filters) -> str | None:
	"""The one school a list's filters pin (as a dict or as Frappe's [doctype, field, op, value] list)."""
	if isinstance(filters, dict):
		value = filters.get("company")
		return value if isinstance(value, str) else None
	for row in filters or []:
		if isinstance(row, list | tuple) and len(row) >= 4 and row[1] == "company" and row[2] == "=":
			return row[3]
	return None


def default_school() -> str | None:
	"""The school a user works in when an export names none (their default Company)."""
	return frappe.defaults.get_user_default("Company")


def describe(filters) -> str:
	return json.dumps(filters, default=str, sort_keys=True)[:500] if filters else "-"


def parse(value):
	if isinstance(value, str):
		try:
			return json.loads(value)
		except ValueError:
			return value
	return value
