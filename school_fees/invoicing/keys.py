"""Billing keys: one live invoice per student, fee structure and installment.

A *billing key* (core.billing.billing_key) is stored on every generated invoice in a column with a
unique index. A live invoice (Draft or submitted) holds its key; cancelling frees it (the key is
set to NULL). Two processes billing the same installment therefore cannot both succeed, whatever
they do in memory. Late fees carry a key per charged period (core.billing.late_fee_billing_key).
"""

import frappe
from frappe import _
from frappe.model.document import Document

FEE_INVOICE = "Fee Invoice"


class DuplicateBillingError(frappe.ValidationError):
	"""The installment already has a live invoice (its billing key is taken)."""


def existing_billing_keys(keys: list[str]) -> set[str]:
	"""Which of `keys` already have a live (Draft or submitted) invoice — one query."""
	if not keys:
		return set()
	return set(
		frappe.get_all(
			FEE_INVOICE,
			filters={"billing_key": ("in", list(set(keys))), "docstatus": ("<", 2)},
			pluck="billing_key",
		)
	)


def invoice_holding_key(key: str) -> str | None:
	return frappe.db.get_value(FEE_INVOICE, {"billing_key": key, "docstatus": ("<", 2)}, "name")


def insert_invoice(doc: Document, ignore_permissions: bool = False) -> Document:
	"""Insert a generated invoice; a billing key taken meanwhile (even by another process that
	committed first) becomes a DuplicateBillingError naming the invoice that holds it."""
	try:
		return doc.insert(ignore_permissions=ignore_permissions)
	except frappe.UniqueValidationError as e:
		if not (doc.billing_key and "billing_key" in str(e)):
			raise
		frappe.clear_last_message()  # Frappe's generic "Billing Key must be unique"
		frappe.throw(
			_("This installment is already billed by Fee Invoice {0} (billing key {1}).").format(
				frappe.bold(invoice_holding_key(doc.billing_key) or _("(another process, not yet visible)")),
				doc.billing_key,
			),
			DuplicateBillingError,
			title=_("Already Billed"),
		)
