"""Many new rows at once: documents made the way `frappe.new_doc` + `insert()` would make them,
written with one multi-row INSERT per table.

The bulk billing path writes its invoices, their ledger rows and audit rows with it; ledger.posting
writes a voucher's GL and Payment Ledger rows with it when the books need no check of ERPNext's that
was not already made (see ledger.posting.post).
"""

import frappe
from frappe.model.document import Document
from frappe.model.naming import make_autoname
from frappe.utils import create_batch, now


class NewRows:
	"""Makes new documents sharing one timestamp and owner; each DocType's defaults are computed once."""

	def __init__(self):
		timestamp, user = now(), frappe.session.user
		self.stamp = {"creation": timestamp, "modified": timestamp, "owner": user, "modified_by": user}
		self.templates: dict[str, dict] = {}

	def new(self, doctype: str, values: dict, docstatus: int = 0) -> Document:
		"""A new document of `doctype` with `values`, as frappe.new_doc + update would make it, named
		as its insert() would name it."""
		if doctype not in self.templates:
			self.templates[doctype] = frappe.new_doc(doctype, as_dict=True)
		doc = frappe.get_doc({**self.templates[doctype], **values, **self.stamp, "docstatus": docstatus})
		if doctype == "GL Entry":
			doc.autoname()  # ERPNext's temporary hash name, renamed later by its scheduler
		else:
			doc.name = make_autoname("hash", doctype)
		return doc


def insert_rows(docs: list[Document], chunk_size: int = 1000) -> None:
	"""Write new documents with one multi-row INSERT per doctype (and per `chunk_size` rows), with
	exactly the columns and values their `db_insert` would write.

	This is frappe.db.bulk_insert without the query builder: building the statement through pypika
	costs about a millisecond per row, more than everything else the job does for an invoice. Table
	and column names come from the DocType meta; every value is a bound parameter."""
	by_doctype: dict[str, list[dict]] = {}
	for doc in docs:
		by_doctype.setdefault(doc.doctype, []).append(
			doc.get_valid_dict(convert_dates_to_str=True, ignore_virtual=True)
		)
	for doctype, rows in by_doctype.items():
		fields = list(rows[0])
		columns = ", ".join(f"`{field}`" for field in fields)
		row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
		for chunk in create_batch(rows, chunk_size):
			frappe.db.sql(
				f"INSERT INTO `tab{doctype}` ({columns}) VALUES {', '.join([row_placeholder] * len(chunk))}",
				[row[field] for row in chunk for field in fields],
			)
