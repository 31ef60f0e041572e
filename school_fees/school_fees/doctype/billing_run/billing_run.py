# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt
"""Billing Run: bill one fee structure to a scope of students, after a preview.

Draft -> (confirm) Queued -> Processing -> Completed / Partially Completed / Failed. The work is in
school_fees.billing (scope, preflight, preview, the background job and its bulk writer); this
controller validates the run and exposes `get_preview` and `confirm` to the form.
"""

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.billing.job import enqueue_run
from school_fees.billing.preflight import blocking_problems
from school_fees.billing.preview import build_preview
from school_fees.core.billing import RUNNING_STATUSES
from school_fees.invoicing.structures import check_billable, check_due_date

FEE_INVOICE = "Fee Invoice"
CONFIRM_ROLES = ("Fees Manager", "System Manager")
# Fields that may change after a run has started: everything else describes what it billed
EDITABLE_AFTER_START = ("reference",)
SCOPE_FIELDS = {"Grade": "grade", "Class Section": "class_section", "Fee Group": "fee_group"}


class BillingRunValidationError(frappe.ValidationError):
	pass


class BillingRunLockedError(frappe.ValidationError):
	pass


class BillingRun(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.billing_run_error.billing_run_error import BillingRunError
		from school_fees.school_fees.doctype.billing_run_exclusion.billing_run_exclusion import (
			BillingRunExclusion,
		)
		from school_fees.school_fees.doctype.billing_run_student.billing_run_student import BillingRunStudent

		academic_term: DF.Link
		class_section: DF.Link | None
		company: DF.Link
		created_count: DF.Int
		currency: DF.Link | None
		due_date: DF.Date | None
		errors: DF.Table[BillingRunError]
		exclusions: DF.Table[BillingRunExclusion]
		failed_count: DF.Int
		fee_group: DF.Link | None
		fee_structure: DF.Link
		grade: DF.Link | None
		installment: DF.Autocomplete | None
		issue_invoices: DF.Check
		job_id: DF.Data | None
		naming_series: DF.Literal["BR-.YYYY.-"]
		posting_date: DF.Date
		preview_html: DF.HTML | None
		reference: DF.Data | None
		scope: DF.Literal["All", "Grade", "Class Section", "Fee Group", "Manual"]
		skipped_count: DF.Int
		status: DF.Literal["Draft", "Queued", "Processing", "Completed", "Partially Completed", "Failed"]
		students: DF.Table[BillingRunStudent]
		to_bill_count: DF.Int
		total_amount: DF.Currency
	# end: auto-generated types

	def validate(self):
		self.set_currency()
		self.validate_not_started()
		self.validate_fee_structure()
		self.validate_installment()
		self.validate_dates()
		self.clear_unused_scope_fields()
		self.validate_scope()
		self.validate_students_company()

	def on_trash(self):
		invoices = frappe.get_all(FEE_INVOICE, filters={"billing_run": self.name}, pluck="name", limit=3)
		if invoices or self.status in RUNNING_STATUSES:
			frappe.throw(
				_(
					"Billing Run {0} has created invoices ({1}) and cannot be deleted or undone. "
					"To reverse a bill, cancel the single Fee Invoice with a reason."
				).format(frappe.bold(self.name), ", ".join(invoices) or _(self.status)),
				BillingRunLockedError,
				title=_("Billing Run Cannot Be Deleted"),
			)

	def onload(self):
		# runs saved before the currency field existed still show their total in the school's currency
		if not self.currency and self.company:
			self.currency = company_currency(self.company)

	# ------------------------------------------------------------ validate steps

	def set_currency(self):
		"""The run's total is in its school's currency, whatever the site's default."""
		self.currency = company_currency(self.company) if self.company else None

	def validate_not_started(self):
		"""A run that is queued, running or has invoices describes what it billed: only its
		reference can change. A Draft run, or one that failed before creating anything, can be
		corrected and confirmed again."""
		before = self.get_doc_before_save()
		if not before or not self.has_billed(before):
			return
		changed = [
			df.label
			for df in self.meta.fields
			if df.fieldtype not in ("Section Break", "Column Break", "HTML", "Table")
			and not df.read_only
			and df.fieldname not in EDITABLE_AFTER_START
			and str(self.get(df.fieldname) or "") != str(before.get(df.fieldname) or "")
		]
		tables_changed = [
			_(self.meta.get_label(name))
			for name in ("students", "exclusions")
			if [r.student for r in self.get(name)] != [r.student for r in before.get(name)]
		]
		if changed or tables_changed:
			frappe.throw(
				_("Billing Run {0} is {1}: {2} can no longer be changed. Create a new run instead.").format(
					frappe.bold(self.name),
					_(before.status),
					", ".join(_(c) for c in changed + tables_changed),
				),
				BillingRunLockedError,
			)

	@staticmethod
	def has_billed(run) -> bool:
		return run.status in RUNNING_STATUSES or bool(
			frappe.db.exists(FEE_INVOICE, {"billing_run": run.name})
		)

	def validate_fee_structure(self):
		check_billable(self.fee_structure, BillingRunValidationError, company=self.company)
		structure = frappe.db.get_value("Fee Structure", self.fee_structure, ["academic_term"], as_dict=True)
		if structure.academic_term != self.academic_term:
			frappe.throw(
				_("Fee Structure {0} is for term {1}, not {2}.").format(
					frappe.bold(self.fee_structure), structure.academic_term, self.academic_term
				),
				BillingRunValidationError,
			)

	def validate_installment(self):
		self.installment = (self.installment or "").strip() or None
		if not self.installment:
			return
		labels = self.installment_labels()
		if self.installment not in labels:
			frappe.throw(
				_("Fee Structure {0} has no installment {1}; choose one of: {2}.").format(
					frappe.bold(self.fee_structure), frappe.bold(self.installment), ", ".join(labels)
				),
				BillingRunValidationError,
			)

	def installment_labels(self) -> list[str]:
		return installment_labels(self.fee_structure)

	def validate_dates(self):
		check_due_date(self.posting_date, self.due_date, BillingRunValidationError)

	def clear_unused_scope_fields(self):
		for scope, fieldname in SCOPE_FIELDS.items():
			if self.scope != scope:
				self.set(fieldname, None)
		if self.scope != "Manual":
			self.set("students", [])

	def validate_scope(self):
		fieldname = SCOPE_FIELDS.get(self.scope)
		if fieldname and not self.get(fieldname):
			frappe.throw(
				_("Choose the {0} to bill.").format(_(self.meta.get_label(fieldname))),
				BillingRunValidationError,
			)
		if self.scope == "Manual" and not self.students:
			frappe.throw(_("Add the students to bill."), BillingRunValidationError)
		if self.scope == "Class Section":
			self.validate_company_of("Class Section", self.class_section)
		if self.scope == "Fee Group":
			self.validate_company_of("Fee Group", self.fee_group)
			group_structure = frappe.db.get_value("Fee Group", self.fee_group, "fee_structure")
			if group_structure != self.fee_structure:
				frappe.throw(
					_("Fee Group {0} is billed with Fee Structure {1}, not {2}.").format(
						frappe.bold(self.fee_group), group_structure, self.fee_structure
					),
					BillingRunValidationError,
				)

	def validate_company_of(self, doctype: str, name: str):
		company = frappe.db.get_value(doctype, name, "company")
		if company != self.company:
			frappe.throw(
				_("{0} {1} belongs to {2}, not to {3}.").format(
					_(doctype), frappe.bold(name), company, self.company
				),
				BillingRunValidationError,
			)

	def validate_students_company(self):
		listed = [row.student for row in [*self.students, *self.exclusions] if row.student]
		if not listed:
			return
		others = frappe.get_all(
			"Student",
			filters={"name": ("in", listed), "company": ("!=", self.company)},
			fields=["name", "company"],
		)
		if others:
			frappe.throw(
				_("These students belong to another school: {0}.").format(
					", ".join(f"{row.name} ({row.company})" for row in others)
				),
				BillingRunValidationError,
			)

	# ------------------------------------------------------------ actions

	@frappe.whitelist()
	def get_preview(self) -> dict:
		"""Who will be billed and for how much, who is skipped and why, and what blocks the run."""
		frappe.has_permission(self.doctype, "read", self, throw=True)
		return build_preview(self)

	@frappe.whitelist(methods=["POST"])
	def confirm(self) -> str:
		"""Queue the run's job, once the preview shows no blocking problem."""
		if self.is_new():
			frappe.throw(_("Save the Billing Run before confirming it."), BillingRunValidationError)
		self.load_from_db()  # run what is saved, not what the form sent
		frappe.only_for(CONFIRM_ROLES)
		frappe.has_permission(self.doctype, "write", self, throw=True)
		frappe.has_permission(FEE_INVOICE, "create", throw=True)
		if self.issue_invoices:
			frappe.has_permission(FEE_INVOICE, "submit", throw=True)
		problems = blocking_problems(self)
		if problems:
			frappe.throw(
				_("The run cannot start:") + "<ul>" + "".join(f"<li>{p}</li>" for p in problems) + "</ul>",
				BillingRunValidationError,
				title=_("Billing Run Blocked"),
			)
		enqueue_run(self)
		return self.status


def company_currency(company: str) -> str | None:
	return frappe.get_cached_value("Company", company, "default_currency")


def installment_labels(fee_structure: str) -> list[str]:
	return frappe.get_all(
		"Fee Structure Installment",
		filters={"parent": fee_structure, "parenttype": "Fee Structure"},
		pluck="installment",
		order_by="idx",
	)


@frappe.whitelist()
def get_installment_options(fee_structure: str) -> list[dict]:
	"""The installments of a fee structure for the run's Installment field: label, with its dates."""
	frappe.has_permission("Fee Structure", "read", fee_structure, throw=True)
	rows = frappe.get_all(
		"Fee Structure Installment",
		filters={"parent": fee_structure, "parenttype": "Fee Structure"},
		fields=["installment", "issue_date", "due_date"],
		order_by="idx",
	)
	return [
		{
			"value": row.installment,
			"label": row.installment,
			"description": _("Issued {0}, due {1}").format(
				frappe.format(row.issue_date, "Date"), frappe.format(row.due_date, "Date")
			),
		}
		for row in rows
	]
