# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class Grade(Document):
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
