"""The bulk writer of a Billing Run: the rows `insert()` + `submit()` would write for many Fee
Invoices, with one multi-row INSERT per table per batch.

Invoices, their items and discount rows, GL Entries, Payment Ledger Entries and audit rows are
written exactly as the single-document path writes them one by one (a differential test compares
them column for column); GL rows come from the controller's own `get_gl_entries()`.
"""

import frappe
from frappe.model.document import Document
from frappe.model.naming import (
	NamingSeries,
	get_default_naming_series,
	make_autoname,
	parse_naming_series,
	validate_name,
)
from frappe.utils import cint, flt, getdate, nowdate

from school_fees import audit
from school_fees.core.money import to_decimal
from school_fees.core.status import DRAFT, invoice_status
from school_fees.ledger import posting
from school_fees.rows import NewRows, insert_rows

FEE_INVOICE = "Fee Invoice"


class InvoiceWriter:
	"""Writes generated Fee Invoices in bulk: the rows `insert()` + `submit()` would write, one
	INSERT per table per batch.

	Per invoice it sets what the document lifecycle sets (name, parent links, docstatus, status,
	balances, timestamps); GL rows come from the controller's own `get_gl_entries()` through
	`ledger.posting.prepare_many` (the merge/rounding of make_gl_entries), Payment Ledger rows from
	ERPNext's `get_payment_ledger_entries` (ledger.posting.payment_ledger_rows) called once per batch."""

	def __init__(self, issue: bool, company: str):
		self.issue = issue
		# ERPNext adds balancing rows per accounting dimension when a company asks for them
		self.offset_dimensions = issue and posting.offsets_dimensions(company)

	def write(self, docs: list[Document]) -> None:
		if not docs:
			return
		docs = sorted(docs, key=lambda d: d.billing_key or "")  # same lock order in every process
		reserve_names(docs)
		today = getdate(nowdate())
		new_rows = NewRows()
		docstatus = 1 if self.issue else 0
		children, audit_logs, gl_rows = [], [], []

		for doc in docs:
			doc.docstatus = docstatus
			doc.update(new_rows.stamp)
			doc.set_parent_in_children()
			doc.set_docstatus()
			for child in doc.get_all_children():
				child.name = validate_name(child.doctype, make_autoname("hash", child.doctype))
				child.update(new_rows.stamp)
				children.append(child)
			audit_logs.append(
				audit.audit_row(FEE_INVOICE, doc.name, "Created", to_status=DRAFT, company=doc.company)
			)
			if not self.issue:
				continue
			grand_total = to_decimal(doc.grand_total)
			doc.status = invoice_status(1, grand_total, grand_total, getdate(doc.due_date), today)
			doc.outstanding_amount, doc.paid_amount = flt(grand_total), 0
			rows = doc.get_gl_entries()
			posting.assert_balanced(rows, doc)
			if self.offset_dimensions:
				posting.add_dimension_offsets(rows)
			gl_rows.append(rows)
			audit_logs.append(
				audit.audit_row(FEE_INVOICE, doc.name, "Issued", DRAFT, doc.status, company=doc.company)
			)

		gl_map = [row for voucher in posting.prepare_many(gl_rows, docs[0].company) for row in voucher]
		ledger_entries = posting.ledger_documents(gl_map, new_rows)
		logs = [new_rows.new("Fee Audit Log", row) for row in audit_logs]

		insert_rows(docs)
		insert_rows(children)
		insert_rows(ledger_entries)
		insert_rows(logs)


def reserve_names(docs: list[Document]) -> None:
	"""Name `docs` from their naming series with one counter update per series prefix: the block of
	numbers is reserved in tabSeries in this transaction (row lock until commit, like Frappe's own
	getseries) and every name is formatted by Frappe's parse_naming_series, exactly as make_autoname
	would name them one by one."""
	marker = "\x00"
	by_prefix: dict[str, list] = {}
	for doc in docs:
		if not doc.naming_series:
			doc.naming_series = get_default_naming_series(doc.doctype)
		series = NamingSeries(doc.naming_series + ".#####")
		series.validate()
		captured = {}

		def capture(prefix, digits, captured=captured):
			captured.update(prefix=prefix, digits=digits)
			return marker

		template = parse_naming_series(series.series.split("."), doc=doc, number_generator=capture)
		by_prefix.setdefault(captured["prefix"], []).append((doc, template, captured["digits"]))

	for prefix, items in by_prefix.items():
		first = advance_series(prefix, len(items))
		for offset, (doc, template, digits) in enumerate(items):
			number = ("%0" + str(digits) + "d") % (first + offset)
			doc.name = validate_name(doc.doctype, template.replace(marker, number, 1))
			doc.flags.name_set = True


def advance_series(prefix: str, count: int) -> int:
	"""Reserve `count` numbers of a naming-series prefix; returns the first."""
	series = frappe.qb.DocType("Series")
	current = frappe.qb.from_(series).select(series.current).where(series.name == prefix).for_update().run()
	if current and current[0][0] is not None:
		first = cint(current[0][0]) + 1
		frappe.qb.update(series).set(series.current, series.current + count).where(
			series.name == prefix
		).run()
	else:
		first = 1
		frappe.qb.into(series).columns("name", "current").insert(prefix, count).run()
	return first


def reset_generated_names(doc: Document) -> None:
	"""Undo what a rolled-back bulk write set on a document (name, docstatus, status, timestamps),
	so it can be written again, in bulk or through insert()/submit()."""
	doc.name = None
	doc.flags.name_set = False
	doc.docstatus = 0
	doc.status = DRAFT
	doc.outstanding_amount, doc.paid_amount = doc.grand_total, 0
	for row in [doc, *doc.get_all_children()]:
		row.creation = row.modified = row.owner = row.modified_by = None
	for child in doc.get_all_children():
		child.name = None
		child.docstatus = 0
