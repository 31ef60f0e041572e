# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class DuplicateClassSectionError(frappe.ValidationError):
	pass


class ClassSection(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		class_teacher: DF.Link | None
		company: DF.Link
		grade: DF.Link
		section: DF.Data
		section_name: DF.Data | None

	# end: auto-generated types
	def autoname(self):
		self.set_section_name()
		abbr = frappe.get_cached_value("Company", self.company, "abbr")
		self.name = f"{self.section_name} - {abbr}"

	def validate(self):
		self.strip_section()
		self.set_section_name()
		self.validate_unique_in_company()

	def strip_section(self):
		self.section = (self.section or "").strip()

	def set_section_name(self):
		"""The section's title, e.g. "Class 6-A" (the name adds the company abbreviation)."""
		self.section_name = f"{self.grade}-{(self.section or '').strip()}"

	def validate_unique_in_company(self):
		filters = {"company": self.company, "grade": self.grade, "section": self.section}
		if not self.is_new():
			filters["name"] = ("!=", self.name)
		duplicate = frappe.db.get_value("Class Section", filters)
		if duplicate:
			frappe.throw(
				_("Class Section {0} already exists in company {1} ({2}).").format(
					frappe.bold(self.section_name), frappe.bold(self.company), duplicate
				),
				DuplicateClassSectionError,
				title=_("Duplicate Class Section"),
			)
