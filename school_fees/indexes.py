"""Database keys the rules rely on, beyond what DocType JSON can declare."""

import frappe


def add_unique_keys() -> None:
	"""Admission numbers are unique per school, even for two saves at the same moment (the
	Student's on_doctype_update, and install/migrate for a site synced before the key existed)."""
	frappe.db.add_unique(
		"Student", ["company", "admission_no"], constraint_name="unique_company_admission_no"
	)
