# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class Grade(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		grade_name: DF.Data
		sequence: DF.Int

	# end: auto-generated types
	def validate(self):
		self.strip_name()
		self.validate_sequence()

	def strip_name(self):
		self.grade_name = (self.grade_name or "").strip()

	def validate_sequence(self):
		if self.sequence and self.sequence < 0:
			frappe.throw(
				_("Grade {0}: the sequence must not be negative.").format(frappe.bold(self.grade_name))
			)
