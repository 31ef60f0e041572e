"""A Student's changes brought into its Draft invoices (doc_event Student.on_update).

What a change means is core.student_changes: a fee group added creates its drafts; a group removed
or changed, a new class section, status, dates, customer or discounts rebuild (or delete) the
student's drafts. Issued invoices are never touched.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

from school_fees import audit
from school_fees.core.student_changes import RECALCULATING_FIELDS, StudentChange, student_change
from school_fees.invoicing.builder import FEE_INVOICE, InvoiceBuilder, group_structures
from school_fees.invoicing.keys import existing_billing_keys, insert_invoice
from school_fees.invoicing.structures import is_billable_structure


def on_student_update(doc, method=None) -> None:
	"""doc_event Student.on_update: a fee group added creates its Draft invoices; a group removed
	or changed, a new class section, discounts, or a withdrawal recalculates (or deletes) the
	student's Draft invoices. Issued invoices are never touched."""
	change = change_of(doc.get_doc_before_save(), doc)
	if change.relevant:
		sync_student_drafts(doc.name, create_for_groups=change.groups_to_bill)


def sync_student_drafts(student: str, create_for_groups: set[str] | None = None) -> frappe._dict:
	"""Bring the student's Draft invoices in line with the student as saved: delete drafts of
	removed fee groups and of installments no longer billed (after leaving), rebuild drafts whose
	amounts or details changed, and create the drafts of `create_for_groups`."""
	row = frappe._dict(InvoiceBuilder.student_rows([student])[0])
	current_groups = {g.fee_group for g in row.fee_groups}
	builders: dict[str, InvoiceBuilder] = {}

	def builder(structure: str) -> InvoiceBuilder:
		if structure not in builders:
			builders[structure] = InvoiceBuilder(structure)
		return builders[structure]

	result = frappe._dict(created=[], updated=[], deleted=[])
	for draft in frappe.get_all(
		FEE_INVOICE,
		filters={"student": student, "docstatus": 0, "is_late_fee": 0, "fee_structure": ("is", "set")},
		fields=[
			"name",
			"fee_structure",
			"installment",
			"fee_group",
			"posting_date",
			"due_date",
			"billing_run",
		],
		order_by="posting_date, name",
	):
		if draft.fee_group and draft.fee_group not in current_groups:
			delete_draft(draft.name, _("Fee group {0} removed from the student").format(draft.fee_group))
			result.deleted.append(draft.name)
			continue
		if not is_billable_structure(draft.fee_structure):
			continue
		expected = builder(draft.fee_structure).build(
			row,
			installment=draft.installment,
			posting_date=draft.posting_date,
			due_date=draft.due_date,
			billing_run=draft.billing_run,
			fee_group=draft.fee_group,
		)
		if not expected:
			delete_draft(draft.name, _("Nothing left to bill for this installment (student left)"))
			result.deleted.append(draft.name)
		elif update_draft(draft.name, expected[0]):
			result.updated.append(draft.name)

	for structure, fee_group in group_structures(create_for_groups or set()):
		docs = builder(structure).build(row, fee_group=fee_group)
		taken = existing_billing_keys([doc.billing_key for doc in docs])
		for doc in docs:
			if doc.billing_key not in taken:
				insert_invoice(doc, ignore_permissions=True)
				result.created.append(doc.name)
	return result


INVOICE_COPY_FIELDS = (
	"student_name",
	"admission_no",
	"customer",
	"grade",
	"class_section",
	"academic_term",
	"proration_factor",
	"receivable_account",
	"billing_key",
)


def draft_signature(doc) -> tuple:
	items = tuple(
		(i.fee_head, flt(i.amount), flt(i.discount_amount), i.income_account, i.cost_center)
		for i in doc.items
	)
	discounts = tuple((d.fee_discount, d.fee_head, flt(d.amount)) for d in doc.discounts)
	header = tuple(str(doc.get(f) or "") for f in INVOICE_COPY_FIELDS)
	return items, discounts, header


def update_draft(name: str, expected: Document) -> bool:
	"""Rewrite a Draft invoice with freshly built values; True when anything changed."""
	doc = frappe.get_doc(FEE_INVOICE, name)
	if draft_signature(doc) == draft_signature(expected):
		return False
	for field in INVOICE_COPY_FIELDS:
		doc.set(field, expected.get(field))
	doc.set("items", [item.as_dict(no_default_fields=True) for item in expected.items])
	doc.set("discounts", [row.as_dict(no_default_fields=True) for row in expected.discounts])
	doc.flags.ignore_permissions = True
	doc.save()
	audit.log(
		FEE_INVOICE, name, "Recalculated", "Draft", "Draft", _("Amounts rebuilt from the student's changes")
	)
	return True


def delete_draft(name: str, reason: str) -> None:
	frappe.delete_doc(FEE_INVOICE, name, ignore_permissions=True, flags={"deletion_reason": reason})


def change_of(before, after) -> StudentChange:
	"""core.student_changes.student_change for two Student documents (before: None when new)."""

	def groups(doc):
		return {
			row.fee_group: (str(row.from_date or ""), str(row.to_date or ""))
			for row in doc.get("fee_groups") or []
		}

	def fields(doc):
		return {field: doc.get(field) for field in RECALCULATING_FIELDS}

	def discounts(doc):
		return [row.fee_discount for row in doc.get("discounts") or []]

	return student_change(
		groups(before) if before else None,
		groups(after),
		fields(before) if before else None,
		fields(after),
		discounts(before) if before else None,
		discounts(after),
	)
