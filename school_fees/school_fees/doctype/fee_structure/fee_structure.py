# Copyright (c) 2026, school_fees developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from school_fees.accounts import get_fee_head_account
from school_fees.core import late_fees
from school_fees.core.billing import due_before
from school_fees.core.errors import LateFeeError, ScheduleError
from school_fees.core.installments import HUNDRED, validate_percentages
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.invoicing.late_fees import late_fee_rule


class FeeStructureError(frappe.ValidationError):
	pass


class InstallmentScheduleError(FeeStructureError):
	pass


class FeeStructure(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from school_fees.school_fees.doctype.fee_structure_component.fee_structure_component import (
			FeeStructureComponent,
		)
		from school_fees.school_fees.doctype.fee_structure_installment.fee_structure_installment import (
			FeeStructureInstallment,
		)
		from school_fees.school_fees.doctype.fee_structure_installment_share.fee_structure_installment_share import (
			FeeStructureInstallmentShare,
		)

		academic_term: DF.Link
		amended_from: DF.Link | None
		company: DF.Link
		component_shares: DF.Table[FeeStructureInstallmentShare]
		components: DF.Table[FeeStructureComponent]
		installments: DF.Table[FeeStructureInstallment]
		late_fee_applicable: DF.Check
		late_fee_cap: DF.Currency
		late_fee_frequency: DF.Literal["Once", "Per Day", "Per Month"]
		late_fee_grace_days: DF.Int
		late_fee_head: DF.Link | None
		late_fee_type: DF.Literal["Flat", "Percent"]
		late_fee_value: DF.Float
		naming_series: DF.Literal["FST-.#####"]
		proration_method: DF.Literal["None", "Remaining installments", "Days"]
		structure_name: DF.Data
		total_amount: DF.Currency

	# end: auto-generated types
	def validate(self):
		self.strip_labels()
		self.validate_components()
		self.validate_fee_head_accounts()
		self.validate_installments()
		self.validate_installment_percentages()
		self.validate_component_shares()
		self.validate_late_fee()
		self.calculate_total()

	def strip_labels(self):
		for row in self.installments:
			row.installment = (row.installment or "").strip()
		for row in self.component_shares:
			row.installment = (row.installment or "").strip()

	@property
	def bold_name(self):
		return frappe.bold(self.structure_name or self.name)

	def validate_components(self):
		if not self.components:
			self.throw(_("Fee Structure {0}: add at least one fee component.").format(self.bold_name))
		seen = {}
		for row in self.components:
			if to_decimal(row.amount) < 0:
				self.throw(
					_(
						"Fee Structure {0}, components row #{1}: the amount of {2} must not be negative ({3})."
					).format(self.bold_name, row.idx, frappe.bold(row.fee_head), row.amount)
				)
			if row.fee_head in seen:
				self.throw(
					_(
						"Fee Structure {0}: fee head {1} is in components rows #{2} and #{3}; "
						"put its whole amount in one row."
					).format(self.bold_name, frappe.bold(row.fee_head), seen[row.fee_head], row.idx)
				)
			seen[row.fee_head] = row.idx

	def validate_fee_head_accounts(self):
		"""Every fee head billed (and the late-fee head) needs an income account for the company."""
		if not self.company:
			return
		heads = [row.fee_head for row in self.components if row.fee_head]
		if self.late_fee_applicable and self.late_fee_head:
			heads.append(self.late_fee_head)
		for head in dict.fromkeys(heads):
			get_fee_head_account(head, self.company)

	def validate_installments(self):
		if not self.installments:
			self.throw(
				_("Fee Structure {0}: add at least one installment.").format(self.bold_name),
				InstallmentScheduleError,
			)
		labels = {}
		previous = None
		term_end = frappe.db.get_value("Academic Term", self.academic_term, "end_date")
		for row in self.installments:
			if row.installment.casefold() in labels:
				self.throw(
					_(
						"Fee Structure {0}: installment label {1} is used in rows #{2} and #{3}; labels must be unique."
					).format(
						self.bold_name,
						frappe.bold(row.installment),
						labels[row.installment.casefold()],
						row.idx,
					),
					InstallmentScheduleError,
				)
			labels[row.installment.casefold()] = row.idx
			if not (row.issue_date and row.due_date):
				continue  # mandatory, reported by Frappe
			if due_before(getdate(row.due_date), getdate(row.issue_date)):
				self.throw(
					_(
						"Fee Structure {0}, installment {1}: the due date {2} is before the issue date {3}."
					).format(
						self.bold_name,
						frappe.bold(row.installment),
						frappe.format(row.due_date, "Date"),
						frappe.format(row.issue_date, "Date"),
					),
					InstallmentScheduleError,
				)
			if previous and getdate(row.issue_date) <= getdate(previous.issue_date):
				self.throw(
					_(
						"Fee Structure {0}: installment {1} must be issued after installment {2} "
						"(list installments in the order they are issued)."
					).format(self.bold_name, frappe.bold(row.installment), frappe.bold(previous.installment)),
					InstallmentScheduleError,
				)
			previous = row
		if term_end and previous and getdate(previous.issue_date) > getdate(term_end):
			self.throw(
				_(
					"Fee Structure {0}: installment {1} is issued on {2}, after academic term {3} ends ({4})."
				).format(
					self.bold_name,
					frappe.bold(previous.installment),
					frappe.format(previous.issue_date, "Date"),
					frappe.bold(self.academic_term),
					frappe.format(term_end, "Date"),
				),
				InstallmentScheduleError,
			)

	def validate_installment_percentages(self):
		percentages = [row.percentage for row in self.installments]
		try:
			validate_percentages(percentages)
		except ScheduleError:
			self.throw_percentage_error(
				percentages,
				[row.installment for row in self.installments],
				_(
					"Fee Structure {0}: the installment percentages add up to {1}%; they must add up to exactly 100%."
				),
			)

	def validate_component_shares(self):
		"""Per-component overrides: a fee head billed on its own schedule, also adding up to 100%."""
		installments = {row.installment.casefold(): row.installment for row in self.installments}
		components = {row.fee_head for row in self.components}
		shares_by_head = {}
		for row in self.component_shares:
			label = installments.get(row.installment.casefold())
			if not label:
				self.throw(
					_(
						"Fee Structure {0}, installment shares row #{1}: installment {2} is not in the installments table."
					).format(self.bold_name, row.idx, frappe.bold(row.installment)),
					InstallmentScheduleError,
				)
			if row.fee_head not in components:
				self.throw(
					_(
						"Fee Structure {0}, installment shares row #{1}: fee head {2} is not a component of this structure."
					).format(self.bold_name, row.idx, frappe.bold(row.fee_head)),
					InstallmentScheduleError,
				)
			row.installment = label
			head_shares = shares_by_head.setdefault(row.fee_head, {})
			if label in head_shares:
				self.throw(
					_("Fee Structure {0}: fee head {1} has two shares for installment {2}.").format(
						self.bold_name, frappe.bold(row.fee_head), frappe.bold(label)
					),
					InstallmentScheduleError,
				)
			head_shares[label] = row.percentage

		for head, shares in shares_by_head.items():
			try:
				validate_percentages(list(shares.values()))
			except ScheduleError:
				self.throw_percentage_error(
					list(shares.values()),
					list(shares),
					_(
						"Fee Structure {0}: the installment shares of fee head {2} add up to {1}%; "
						"they must add up to exactly 100%."
					),
					frappe.bold(head),
				)

	def throw_percentage_error(self, percentages, labels, sum_message, *args):
		for label, percentage in zip(labels, percentages, strict=True):
			if to_decimal(percentage) < 0:
				self.throw(
					_(
						"Fee Structure {0}, installment {1}: the percentage must not be negative ({2})."
					).format(self.bold_name, frappe.bold(label), percentage),
					InstallmentScheduleError,
				)
		total = sum((to_decimal(p) for p in percentages), ZERO)
		self.throw(
			sum_message.format(self.bold_name, f"{total.normalize():f}", *args), InstallmentScheduleError
		)

	def validate_late_fee(self):
		if not self.late_fee_applicable:
			return
		value = to_decimal(self.late_fee_value)
		if value <= 0:
			self.throw(_("Fee Structure {0}: the late fee value must be more than 0.").format(self.bold_name))
		if self.late_fee_type == late_fees.PERCENT and value > HUNDRED:
			self.throw(
				_("Fee Structure {0}: a percentage late fee must be at most 100, not {1}.").format(
					self.bold_name, self.late_fee_value
				)
			)
		if (self.late_fee_grace_days or 0) < 0:
			self.throw(
				_("Fee Structure {0}: the late fee grace days must not be negative.").format(self.bold_name)
			)
		if to_decimal(self.late_fee_cap) < 0:
			self.throw(_("Fee Structure {0}: the late fee cap must not be negative.").format(self.bold_name))
		if not self.late_fee_head:
			self.throw(
				_("Fee Structure {0}: choose the Late Fee Head late fees are billed under.").format(
					self.bold_name
				)
			)
		try:
			late_fees.validate_rule(self.get_late_fee_rule())
		except LateFeeError as e:
			self.throw(_("Fee Structure {0}: {1}").format(self.bold_name, str(e)))

	def get_late_fee_rule(self) -> late_fees.LateFeeRule:
		return late_fee_rule(self)

	def calculate_total(self):
		precision = self.precision("total_amount") or 2
		total = sum((to_decimal(row.amount) for row in self.components), ZERO)
		self.total_amount = float(quantize(total, precision))

	def throw(self, message, exc=FeeStructureError):
		frappe.throw(message, exc, title=_("Invalid Fee Structure"))
