"""Confirm -> the background job of a Billing Run.

Status: Draft -> Queued -> Processing -> Completed / Partially Completed / Failed (core.billing).
The job streams the students in batches: each batch is planned, checked once (ledger.checks) and
written in bulk (billing.writer) inside a savepoint, then committed, with realtime progress. Sites
with ledger features the bulk writer does not reproduce are billed through the single-document path
instead, student by student, with the same results and a savepoint each. A student that fails gets
an error row on the run and never stops or undoes the others.
"""

from collections import Counter
from decimal import Decimal

import pymysql

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum
from frappe.utils import cint, create_batch, flt

from school_fees.billing.plan import RunPlanner, StudentPlan, fail_refused_customers, students_in_scope
from school_fees.billing.preflight import LedgerContext, blocking_problems
from school_fees.billing.writer import InvoiceWriter, reset_generated_names
from school_fees.core.billing import FAILED, PROCESSING, QUEUED, RUNNING_STATUSES, final_status
from school_fees.core.money import quantize, to_decimal
from school_fees.invoicing.builder import InvoiceBuilder
from school_fees.invoicing.keys import DuplicateBillingError, existing_billing_keys, insert_invoice
from school_fees.ledger.checks import message_of
from school_fees.payments.credit import apply_open_credit_to_issued

BILLING_RUN = "Billing Run"
FEE_INVOICE = "Fee Invoice"
BATCH_SIZE = 200
JOB_TIMEOUT = 4 * 3600
PROGRESS_EVENT = "billing_run_progress"


class BillingRunError(frappe.ValidationError):
	"""A billing run cannot be processed as asked."""


def job_id_of(run_name: str) -> str:
	return f"billing_run::{run_name}"


def enqueue_run(run) -> None:
	"""Queue the run's job on the long queue, once: a run already queued or running is not queued
	again (job_id + deduplicate), and the job starts only after the confirming request commits."""
	from frappe.utils.background_jobs import is_job_enqueued

	job_id = job_id_of(run.name)
	if run.status in RUNNING_STATUSES and is_job_enqueued(job_id):
		frappe.throw(
			_("Billing Run {0} is already {1}.").format(frappe.bold(run.name), _(run.status)), BillingRunError
		)
	run.db_set({"status": QUEUED, "job_id": job_id}, commit=False)
	frappe.enqueue(
		"school_fees.billing.job.run_billing",
		queue="long",
		timeout=JOB_TIMEOUT,
		job_id=job_id,
		deduplicate=True,
		enqueue_after_commit=True,
		billing_run=run.name,
	)


def run_billing(billing_run: str, batch_size: int | None = None) -> str:
	"""The background job of a Billing Run (also callable directly): creates the missing invoices
	in batches, committing after each, and returns the run's final status."""
	return BillingJob(billing_run, batch_size or BATCH_SIZE).execute()


class BillingJob:
	def __init__(self, run_name: str, batch_size: int = BATCH_SIZE):
		self.run = frappe.get_doc(BILLING_RUN, run_name)
		self.batch_size = max(1, cint(batch_size))
		self.counts = Counter()
		self.writer = None

	# ------------------------------------------------------------ orchestration

	def execute(self) -> str:
		run = self.run
		self.start()
		try:
			students = students_in_scope(run)
			problems = blocking_problems(run, students)
			if not problems:
				try:
					builder = InvoiceBuilder(run.fee_structure)
				except frappe.ValidationError as e:
					problems = [message_of(e)]
			if problems:
				for problem in problems:
					self.add_error(None, None, problem)
				return self.finish(FAILED)
			planner = RunPlanner(run, builder)
			self.writer = InvoiceWriter(issue=bool(run.issue_invoices), company=run.company)
			for done, batch in enumerate(create_batch(students, self.batch_size), start=1):
				self.process_batch(planner, list(batch))
				frappe.db.commit()
				self.publish(min(done * self.batch_size, len(students)), len(students))
			return self.finish()
		except Exception as e:
			# not swallowed: the run keeps what the committed batches did and says why it stopped,
			# the traceback goes to the Error Log, and the job fails loudly
			frappe.db.rollback()
			log = frappe.log_error(
				title=_("Billing Run {0} stopped").format(run.name),
				reference_doctype=BILLING_RUN,
				reference_name=run.name,
			)
			self.add_error(
				None,
				None,
				_("The job stopped: {0} (Error Log {1})").format(
					str(e) or type(e).__name__, getattr(log, "name", "-")
				),
			)
			self.finish(stopped=True)
			raise

	def start(self) -> None:
		run = self.run
		frappe.db.delete("Billing Run Error", {"parent": run.name, "parenttype": BILLING_RUN})
		run.set("errors", [])
		run.db_set(
			{"status": PROCESSING, "to_bill_count": 0, "skipped_count": 0, "failed_count": 0},
			update_modified=False,
			commit=True,
		)
		self.publish(0, 0)

	def finish(self, status: str | None = None, stopped: bool = False) -> str:
		run = self.run
		created, total = invoices_of_run(run.name)
		status = status or final_status(created, self.counts["failed"], stopped=stopped)
		run.db_set(
			{
				"status": status,
				"to_bill_count": self.counts["to_bill"],
				"created_count": created,
				"skipped_count": self.counts["skipped"],
				"failed_count": self.counts["failed"],
				"total_amount": flt(total),
			},
			commit=True,
		)
		self.publish(1, 1, done=True)
		return status

	def publish(self, processed: int, total: int, done: bool = False) -> None:
		frappe.publish_realtime(
			PROGRESS_EVENT,
			{
				"name": self.run.name,
				"percent": 100 if done else (round(processed * 100 / total) if total else 0),
				"processed": processed,
				"total": total,
				"created": self.counts["created"],
				"skipped": self.counts["skipped"],
				"failed": self.counts["failed"],
				"status": self.run.status,
				"done": done,
			},
			doctype=BILLING_RUN,
			docname=self.run.name,
		)

	def add_error(self, student: str | None, installment: str | None, message: str) -> None:
		row = self.run.append("errors", {"student": student, "installment": installment, "error": message})
		row.db_insert()

	# ------------------------------------------------------------ one batch

	def process_batch(self, planner: RunPlanner, names: list[str]) -> None:
		run = self.run
		plans = planner.plan(names)
		context = LedgerContext.load(run, problems := [])
		if context and run.issue_invoices:
			problems.extend(context.posting_problems())
		if problems:  # something changed since the run started: nobody in this batch can be billed
			for plan in plans:
				if plan.invoices:
					plan.fail("; ".join(problems))
		elif run.issue_invoices:
			fail_refused_customers(
				plans, context.customer_problems([p.customer for p in plans if p.invoices])
			)

		for plan in plans:
			self.counts["skipped"] += len(plan.skipped)
			if plan.error:
				self.counts["failed"] += len(plan.failed_installments) or 1
				self.add_error(plan.student, ", ".join(plan.failed_installments), plan.error)
		billable = [plan for plan in plans if plan.invoices]
		self.counts["to_bill"] += sum(len(plan.invoices) for plan in billable)
		if not billable:
			return
		single_path = context.single_path_reason() if run.issue_invoices else None
		if single_path:
			self.write_one_by_one(billable)
		else:
			self.write_in_bulk(billable)

	def write_in_bulk(self, plans: list[StudentPlan]) -> None:
		"""Write the batch in bulk inside a savepoint. A billing key taken meanwhile by another
		process: roll back, re-read the keys from a fresh snapshot and write again without them.
		Any other database error: roll back and fall back to the single-document path, so the one
		bad student is reported and the others are billed."""
		for _attempt in range(3):
			frappe.db.savepoint("billing_batch")
			try:
				self.writer.write([doc for plan in plans for doc in plan.invoices])
			except (frappe.ValidationError, pymysql.err.MySQLError) as e:
				frappe.db.rollback(save_point="billing_batch")
				if not (isinstance(e, pymysql.err.IntegrityError) and frappe.db.is_duplicate_entry(e)):
					self.write_one_by_one(plans, reset_names=True)
					return
				plans = self.drop_taken_keys(plans)
				if not plans:
					return
				continue
			frappe.db.release_savepoint("billing_batch")
			for plan in plans:
				self.counts["created"] += len(plan.invoices)
			if self.run.issue_invoices:
				apply_open_credit_to_issued([doc for plan in plans for doc in plan.invoices])
			return
		self.write_one_by_one(plans, reset_names=True)

	def drop_taken_keys(self, plans: list[StudentPlan]) -> list[StudentPlan]:
		"""After a unique-key conflict: keep only the invoices whose keys are still free. The keys
		are read in a fresh transaction, because this one's snapshot predates the other writer's
		commit (nothing of this batch is lost: it was rolled back to the savepoint already)."""
		frappe.db.commit()
		taken = existing_billing_keys([doc.billing_key for plan in plans for doc in plan.invoices])
		remaining = []
		for plan in plans:
			kept = []
			for doc in plan.invoices:
				if doc.billing_key in taken:
					self.counts["skipped"] += 1
					self.counts["to_bill"] -= 1
				else:
					reset_generated_names(doc)
					kept.append(doc)
			plan.invoices = kept
			if kept:
				remaining.append(plan)
		return remaining

	def write_one_by_one(self, plans: list[StudentPlan], reset_names: bool = False) -> None:
		"""The single-document path (insert + submit through the controller), one savepoint per
		student: a student that fails is rolled back alone and reported."""
		for plan in plans:
			frappe.db.savepoint("billing_student")
			try:
				for doc in plan.invoices:
					if reset_names:
						reset_generated_names(doc)
					insert_invoice(doc, ignore_permissions=True)
					if self.run.issue_invoices:
						doc.flags.ignore_permissions = True
						doc.submit()
			except DuplicateBillingError:
				frappe.db.rollback(save_point="billing_student")
				frappe.clear_last_message()
				self.counts["skipped"] += len(plan.invoices)
				self.counts["to_bill"] -= len(plan.invoices)
				continue
			except (frappe.ValidationError, pymysql.err.MySQLError) as e:
				frappe.db.rollback(save_point="billing_student")
				self.counts["failed"] += len(plan.invoices)
				self.add_error(plan.student, ", ".join(d.installment for d in plan.invoices), message_of(e))
				continue
			frappe.db.release_savepoint("billing_student")
			self.counts["created"] += len(plan.invoices)


def invoices_of_run(run_name: str) -> tuple[int, Decimal]:
	"""Live invoices linked to the run (Draft or issued) and their total."""
	invoice = frappe.qb.DocType(FEE_INVOICE)
	count, total = (
		frappe.qb.from_(invoice)
		.select(Count(invoice.name), Sum(invoice.grand_total))
		.where((invoice.billing_run == run_name) & (invoice.docstatus < 2))
	).run()[0]
	return cint(count), quantize(to_decimal(total))
