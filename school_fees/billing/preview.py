"""What a Billing Run would do, and nothing written: who is billed and for how much, who is
skipped and why, who cannot be billed, and the problems that block the whole run."""

import frappe
from frappe.utils import create_batch, flt

from school_fees.billing.plan import RunPlanner, fail_refused_customers, students_in_scope
from school_fees.billing.preflight import LedgerContext, blocking_problems
from school_fees.core.billing import SKIP_REASONS
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.invoicing.builder import InvoiceBuilder
from school_fees.invoicing.structures import structure_problems

BATCH_SIZE = 200


def build_preview(run) -> dict:
	"""Who the run will bill and for how much, who it skips and why, who cannot be billed, and the
	problems that block the whole run. Nothing is written."""
	students = students_in_scope(run)
	problems = blocking_problems(run, students)
	preview = frappe._dict(
		blocking=problems,
		in_scope=len(students),
		to_bill=[],
		skipped=[],
		failing=[],
		skipped_by_reason={reason: 0 for reason in SKIP_REASONS},
		invoice_count=0,
		student_count=0,
		total_amount=0.0,
		currency=frappe.get_cached_value("Company", run.company, "default_currency"),
		single_path=None,
	)
	load_problems = []
	context = LedgerContext.load(run, load_problems)
	if structure_problems(run.fee_structure, run.company) or load_problems or context is None:
		return preview  # the structure cannot even be priced: the blocking problems say why

	builder = InvoiceBuilder(run.fee_structure)
	planner = RunPlanner(run, builder)
	preview.single_path = context.single_path_reason() if run.issue_invoices else None
	total = ZERO
	for batch in create_batch(students, BATCH_SIZE):
		plans = planner.plan(list(batch))
		if run.issue_invoices:
			fail_refused_customers(
				plans, context.customer_problems([p.customer for p in plans if p.invoices])
			)
		for plan in plans:
			for installment, reason in plan.skipped:
				preview.skipped.append(
					{
						"student": plan.student,
						"student_name": plan.student_name,
						"installment": installment,
						"reason": reason,
					}
				)
				preview.skipped_by_reason[reason] += 1
			if plan.error:
				preview.failing.append(
					{
						"student": plan.student,
						"student_name": plan.student_name,
						"installment": ", ".join(plan.failed_installments),
						"error": plan.error,
					}
				)
			if plan.invoices:
				amount = sum((to_decimal(doc.grand_total) for doc in plan.invoices), ZERO)
				total += amount
				preview.invoice_count += len(plan.invoices)
				preview.student_count += 1
				preview.to_bill.append(
					{
						"student": plan.student,
						"student_name": plan.student_name,
						"installments": [
							{
								"installment": doc.installment,
								"amount": doc.grand_total,
								"discount": doc.discount_total,
								"posting_date": str(doc.posting_date),
								"due_date": str(doc.due_date),
							}
							for doc in plan.invoices
						],
						"amount": flt(quantize(amount, builder.precision)),
					}
				)
	preview.total_amount = flt(quantize(total, builder.precision))
	preview.skipped_count = len(preview.skipped)
	preview.failing_count = sum(len(row["installment"].split(", ")) for row in preview.failing)
	return preview
