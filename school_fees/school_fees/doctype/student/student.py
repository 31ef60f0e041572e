# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from school_fees.indexes import add_unique_keys

LEAVING_STATUSES = ("Withdrawn", "Graduated")


class DuplicateAdmissionNumberError(frappe.ValidationError):
	pass


class StudentDatesError(frappe.ValidationError):
	pass


class StudentCompanyMismatchError(frappe.ValidationError):
	pass


class StudentCustomerError(frappe.ValidationError):
	pass


class Student(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.student_fee_discount.student_fee_discount import (
			StudentFeeDiscount,
		)
		from school_fees.school_fees.doctype.student_fee_group.student_fee_group import StudentFeeGroup

		admission_no: DF.Data
		class_section: DF.Link | None
		company: DF.Link
		customer: DF.Link | None
		discounts: DF.Table[StudentFeeDiscount]
		fee_groups: DF.Table[StudentFeeGroup]
		grade: DF.Link | None
		guardian_email: DF.Data | None
		guardian_name: DF.Data | None
		guardian_phone: DF.Data | None
		joining_date: DF.Date
		leaving_date: DF.Date | None
		naming_series: DF.Literal["STU-.#####"]
		status: DF.Literal["Active", "Inactive", "Withdrawn", "Graduated"]
		student_name: DF.Data

	# end: auto-generated types
	def validate(self):
		self.strip_values()
		self.set_class_details()
		self.validate_admission_no()
		self.validate_dates()
		self.validate_status()
		self.validate_fee_groups()
		self.validate_discounts()
		self.set_customer()

	def strip_values(self):
		self.student_name = (self.student_name or "").strip()
		self.admission_no = (self.admission_no or "").strip()

	def set_class_details(self):
		"""The class section must be one of the student's company; its grade is the student's grade."""
		if not self.class_section:
			return
		section = frappe.db.get_value("Class Section", self.class_section, ["company", "grade"], as_dict=True)
		if not section:
			return  # a missing link is reported by Frappe's link check
		if section.company != self.company:
			frappe.throw(
				_("Student {0}: Class Section {1} belongs to company {2}, not {3}.").format(
					frappe.bold(self.student_name),
					frappe.bold(self.class_section),
					frappe.bold(section.company),
					frappe.bold(self.company),
				),
				StudentCompanyMismatchError,
				title=_("Wrong Company"),
			)
		self.grade = section.grade

	def validate_admission_no(self):
		"""Friendly check for the unique key (company, admission_no) that the database also enforces."""
		filters = {"company": self.company, "admission_no": self.admission_no}
		if not self.is_new():
			filters["name"] = ("!=", self.name)
		duplicate = frappe.db.get_value("Student", filters, ["name", "student_name"], as_dict=True)
		if duplicate:
			frappe.throw(
				_("Admission number {0} is already used by {1} ({2}) in company {3}.").format(
					frappe.bold(self.admission_no),
					frappe.bold(duplicate.student_name),
					duplicate.name,
					frappe.bold(self.company),
				),
				DuplicateAdmissionNumberError,
				title=_("Duplicate Admission Number"),
			)

	def validate_dates(self):
		if (
			self.leaving_date
			and self.joining_date
			and getdate(self.leaving_date) < getdate(self.joining_date)
		):
			frappe.throw(
				_("Student {0}: the leaving date {1} is before the joining date {2}.").format(
					frappe.bold(self.student_name),
					frappe.format(self.leaving_date, "Date"),
					frappe.format(self.joining_date, "Date"),
				),
				StudentDatesError,
				title=_("Invalid Dates"),
			)

	def validate_status(self):
		if self.status in LEAVING_STATUSES and not self.leaving_date:
			frappe.throw(
				_("Student {0}: set the leaving date when the status is {1}.").format(
					frappe.bold(self.student_name), frappe.bold(_(self.status))
				),
				StudentDatesError,
				title=_("Leaving Date Required"),
			)

	def validate_fee_groups(self):
		for row in self.fee_groups:
			group_company = frappe.db.get_value("Fee Group", row.fee_group, "company")
			if group_company and group_company != self.company:
				frappe.throw(
					_(
						"Student {0}, fee groups row #{1}: Fee Group {2} belongs to company {3}, not {4}."
					).format(
						frappe.bold(self.student_name),
						row.idx,
						frappe.bold(row.fee_group),
						frappe.bold(group_company),
						frappe.bold(self.company),
					),
					StudentCompanyMismatchError,
					title=_("Wrong Company"),
				)
			if row.from_date and row.to_date and getdate(row.to_date) < getdate(row.from_date):
				frappe.throw(
					_(
						"Student {0}, fee groups row #{1}: the to date {2} is before the from date {3}."
					).format(
						frappe.bold(self.student_name),
						row.idx,
						frappe.format(row.to_date, "Date"),
						frappe.format(row.from_date, "Date"),
					),
					StudentDatesError,
					title=_("Invalid Dates"),
				)
		self.validate_fee_group_overlaps()

	def validate_fee_group_overlaps(self):
		"""The same fee group may appear twice only for periods that do not overlap."""
		far_past, far_future = getdate("1900-01-01"), getdate("2999-12-31")
		rows_by_group = {}
		for row in self.fee_groups:
			rows_by_group.setdefault(row.fee_group, []).append(row)
		for group, rows in rows_by_group.items():
			for i, first in enumerate(rows):
				for second in rows[i + 1 :]:
					start = max(getdate(first.from_date or far_past), getdate(second.from_date or far_past))
					end = min(getdate(first.to_date or far_future), getdate(second.to_date or far_future))
					if start <= end:
						frappe.throw(
							_(
								"Student {0}: Fee Group {1} is in rows #{2} and #{3} for overlapping periods."
							).format(
								frappe.bold(self.student_name), frappe.bold(group), first.idx, second.idx
							),
							StudentDatesError,
							title=_("Overlapping Fee Groups"),
						)

	def validate_discounts(self):
		seen = set()
		for row in self.discounts:
			if row.fee_discount in seen:
				frappe.throw(
					_("Student {0}: Fee Discount {1} is listed twice.").format(
						frappe.bold(self.student_name), frappe.bold(row.fee_discount)
					),
					title=_("Duplicate Discount"),
				)
			seen.add(row.fee_discount)
			discount_company = frappe.db.get_value("Fee Discount", row.fee_discount, "company")
			if discount_company and discount_company != self.company:
				frappe.throw(
					_("Student {0}: Fee Discount {1} belongs to company {2}, not {3}.").format(
						frappe.bold(self.student_name),
						frappe.bold(row.fee_discount),
						frappe.bold(discount_company),
						frappe.bold(self.company),
					),
					StudentCompanyMismatchError,
					title=_("Wrong Company"),
				)

	def set_customer(self):
		"""Create the billing account (a Customer) unless one was chosen; siblings can share one."""
		if self.customer:
			return
		self.customer = make_customer(self.student_name)


def make_customer(customer_name: str) -> str:
	"""Create an Individual Customer in the default customer group and territory; return its name.

	Created with ignore_permissions: saving a Student must open its billing account even for a
	Fees Manager who has no rights on Customer."""
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": customer_name,
			"customer_type": "Individual",
			"customer_group": get_default_leaf("Customer Group", "customer_group"),
			"territory": get_default_leaf("Territory", "territory"),
		}
	)
	customer.insert(ignore_permissions=True)
	return customer.name


def get_default_leaf(doctype: str, selling_settings_field: str) -> str:
	"""The Selling Settings default for a tree DocType when it is a leaf, else its first leaf."""
	default = frappe.db.get_single_value("Selling Settings", selling_settings_field)
	if default and not frappe.db.get_value(doctype, default, "is_group"):
		return default
	first_leaf = frappe.db.get_value(doctype, {"is_group": 0}, "name", order_by="lft asc")
	if not first_leaf:
		frappe.throw(
			_(
				"Cannot create the student's customer: there is no {0} to put it in. Create one, or "
				"set the default in Selling Settings."
			).format(_(doctype)),
			StudentCustomerError,
			title=_("Customer Not Created"),
		)
	return first_leaf


def on_doctype_update():
	add_unique_keys()
