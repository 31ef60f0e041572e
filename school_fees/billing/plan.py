"""Who a Billing Run covers, and what it does for each of them.

`students_in_scope` lists the run's students; `RunPlanner` classifies them batch by batch (one
billing-key query per batch): the invoices to create, the installments skipped with their reason
(core.billing.skip_reason), or why the student cannot be billed.
"""

from dataclasses import dataclass, field

import frappe
from frappe.utils import getdate

from school_fees.core.billing import NOTHING_TO_BILL, billing_key, skip_reason
from school_fees.invoicing.builder import InvoiceBuilder
from school_fees.invoicing.keys import existing_billing_keys
from school_fees.ledger.checks import message_of


def students_in_scope(run) -> list[str]:
	"""Names of the students a run covers, each once, in name order.

	All: the Active students of the school. Grade / Class Section: every student of the school in
	it. Fee Group: every student with the group in their fee groups (a student listed in it twice
	appears once). Manual: the students table. Inactive students of a scope are then skipped with
	their reason, so the preview shows them."""
	if run.scope == "Manual":
		return sorted({row.student for row in run.students if row.student})
	filters = {"company": run.company}
	if run.scope == "All":
		filters["status"] = "Active"
	elif run.scope == "Grade":
		filters["grade"] = run.grade
	elif run.scope == "Class Section":
		filters["class_section"] = run.class_section
	elif run.scope == "Fee Group":
		members = frappe.get_all(
			"Student Fee Group",
			filters={"parenttype": "Student", "parentfield": "fee_groups", "fee_group": run.fee_group},
			pluck="parent",
			distinct=True,
		)
		if not members:
			return []
		filters["name"] = ("in", members)
	return frappe.get_all("Student", filters=filters, pluck="name", order_by="name asc")


@dataclass
class StudentPlan:
	"""What a run does for one student: the invoices to create, the installments skipped (with
	the reason) and, when the student cannot be billed, the error."""

	student: str
	student_name: str | None = None
	customer: str | None = None
	invoices: list = field(default_factory=list)
	skipped: list = field(default_factory=list)  # (installment, reason)
	error: str | None = None
	failed_installments: list = field(default_factory=list)

	def fail(self, error: str) -> None:
		self.failed_installments = [doc.installment for doc in self.invoices] or self.failed_installments
		self.invoices = []
		self.error = error


class RunPlanner:
	"""Classifies the students of a run batch by batch, with one billing-key query per batch."""

	def __init__(self, run, builder: InvoiceBuilder):
		self.run = run
		self.builder = builder
		self.labels = [run.installment] if run.installment else [spec.label for spec in builder.specs]
		self.specs = {spec.label: spec for spec in builder.specs}
		self.excluded = {row.student for row in run.exclusions}
		self.structure_groups = set(
			frappe.get_all("Fee Group", filters={"fee_structure": run.fee_structure}, pluck="name")
		)

	def plan(self, names: list[str]) -> list[StudentPlan]:
		rows = {row.name: frappe._dict(row) for row in self.builder.student_rows(names)}
		keys = [billing_key(name, self.run.fee_structure, label) for name in rows for label in self.labels]
		taken = existing_billing_keys(keys)
		return [self.plan_student(rows[name], taken) for name in names if name in rows]

	def fee_group_of(self, row) -> str | None:
		"""The fee group the invoices are billed under: the run's group, else the student's first
		group of this structure."""
		if self.run.scope == "Fee Group":
			return self.run.fee_group
		return next((g.fee_group for g in row.fee_groups if g.fee_group in self.structure_groups), None)

	def plan_student(self, row, taken: set[str]) -> StudentPlan:
		plan = StudentPlan(row.name, row.student_name, row.customer)
		wanted = []
		for label in self.labels:
			reason = skip_reason(
				excluded=row.name in self.excluded,
				status=row.status,
				key_taken=billing_key(row.name, self.run.fee_structure, label) in taken,
				leaving_date=getdate(row.leaving_date) if row.leaving_date else None,
				issue_date=self.specs[label].issue_date,
			)
			if reason:
				plan.skipped.append((label, reason))
			else:
				wanted.append(label)
		if not wanted:
			return plan
		try:
			docs = self.builder.build(
				row,
				installment=self.run.installment or None,
				posting_date=self.run.posting_date,
				due_date=self.run.due_date or None,
				billing_run=self.run.name,
				fee_group=self.fee_group_of(row),
			)
		except frappe.ValidationError as e:
			plan.failed_installments = wanted
			plan.error = message_of(e)
			return plan
		built = {doc.installment: doc for doc in docs}
		for label in wanted:
			if label in built:
				plan.invoices.append(built[label])
			else:
				plan.skipped.append((label, NOTHING_TO_BILL))
		return plan


def fail_refused_customers(plans: list[StudentPlan], refused: dict[str, str]) -> None:
	"""Students billed to a customer the ledger refuses (see ledger.checks.customer_problems) fail
	with that reason."""
	for plan in plans:
		if plan.invoices and plan.customer in refused:
			plan.fail(refused[plan.customer])
