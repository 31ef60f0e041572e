# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class AuditLogImmutableError(frappe.ValidationError):
	pass


class FeeAuditLog(Document):
	"""Append-only: rows are written by school_fees.audit and never changed or deleted."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		action: DF.Data
		company: DF.Link | None
		from_status: DF.Data | None
		ip_address: DF.Data | None
		reason: DF.SmallText | None
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		timestamp: DF.Datetime | None
		to_status: DF.Data | None
		user: DF.Link | None
	# end: auto-generated types

	def validate(self):
		if not self.is_new():
			frappe.throw(_("Fee Audit Log entries cannot be changed."), AuditLogImmutableError)

	def on_trash(self):
		if not (frappe.flags.in_uninstall or frappe.flags.in_patch):
			frappe.throw(_("Fee Audit Log entries cannot be deleted."), AuditLogImmutableError)
