# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.invoicing.structures import structure_problems


class FeeGroupMismatchError(frappe.ValidationError):
	pass


class FeeGroup(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		academic_term: DF.Link
		company: DF.Link
		disabled: DF.Check
		fee_group_name: DF.Data
		fee_structure: DF.Link

	# end: auto-generated types
	def validate(self):
		self.strip_name()
		self.set_missing_values()
		self.validate_fee_structure()

	def strip_name(self):
		self.fee_group_name = (self.fee_group_name or "").strip()

	def set_missing_values(self):
		"""Company and term default to the fee structure's."""
		if not self.fee_structure:
			return
		structure = self.get_structure()
		if structure and not self.company:
			self.company = structure.company
		if structure and not self.academic_term:
			self.academic_term = structure.academic_term

	def validate_fee_structure(self):
		structure = self.get_structure()
		if not structure:
			return
		name = frappe.bold(self.fee_group_name)
		problems = structure_problems(self.fee_structure)
		if problems:
			self.throw(_("Fee Group {0}: {1}").format(name, problems[0]))
		if structure.academic_term != self.academic_term:
			self.throw(
				_("Fee Group {0}: Fee Structure {1} is for academic term {2}, not {3}.").format(
					name,
					frappe.bold(self.fee_structure),
					frappe.bold(structure.academic_term),
					frappe.bold(self.academic_term),
				)
			)
		if structure.company != self.company:
			self.throw(
				_("Fee Group {0}: Fee Structure {1} belongs to company {2}, not {3}.").format(
					name,
					frappe.bold(self.fee_structure),
					frappe.bold(structure.company),
					frappe.bold(self.company),
				)
			)

	def get_structure(self):
		if not self.fee_structure:
			return None
		return frappe.db.get_value(
			"Fee Structure", self.fee_structure, ["company", "academic_term", "docstatus"], as_dict=True
		)

	def throw(self, message):
		frappe.throw(message, FeeGroupMismatchError, title=_("Invalid Fee Group"))
