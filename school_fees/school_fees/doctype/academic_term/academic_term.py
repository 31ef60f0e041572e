# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate


class AcademicTermDatesError(frappe.ValidationError):
	pass


class AcademicTerm(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		academic_year: DF.Data
		end_date: DF.Date
		start_date: DF.Date
		term_name: DF.Data

	# end: auto-generated types
	def validate(self):
		self.strip_names()
		self.validate_dates()

	def strip_names(self):
		self.term_name = (self.term_name or "").strip()
		self.academic_year = (self.academic_year or "").strip()

	def validate_dates(self):
		if self.start_date and self.end_date and getdate(self.end_date) <= getdate(self.start_date):
			frappe.throw(
				_("Academic Term {0}: the end date {1} must be after the start date {2}.").format(
					frappe.bold(self.term_name),
					frappe.format(self.end_date, "Date"),
					frappe.format(self.start_date, "Date"),
				),
				AcademicTermDatesError,
				title=_("Invalid Dates"),
			)
