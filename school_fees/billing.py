"""Billing Runs: who a run bills, what it would create (preview), and the background job that
creates the invoices in bulk.

A run bills one Fee Structure (one installment, or all of them) to the students of its scope. For
every student and installment it either creates a Fee Invoice or records why not:

- skipped (not an error): excluded by hand, inactive, already invoiced (the billing key of the
  student/structure/installment is held by a live invoice), left before the installment was
  issued, or nothing to bill (prorated to zero for a late join);
- failed (an error row on the run): the student cannot be billed as things stand (its customer is
  disabled, it belongs to another school, ...). One failure never stops or undoes the others.

The job streams the students in batches. Each batch is validated once (accounts, fiscal year,
closed periods, frozen books, customers, billing keys) and written in a handful of INSERTs per
table: invoices, their items and discount rows, GL Entries, Payment Ledger Entries and audit log
rows, exactly as `doc.insert(); doc.submit()` would have written them one by one. Sites with
ledger features the bulk writer does not reproduce (document naming rules, budgets, mandatory or
filtered accounting dimensions, balance-type or frozen accounts) are billed through the
single-document path instead, student by student, with the same results and a savepoint each.

Two runs billing the same students at once cannot bill anybody twice: the billing key is a unique
column; a batch that hits it is rolled back and written again without the keys taken meanwhile.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pymysql

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.naming import NamingSeries, make_autoname, parse_naming_series, validate_name
from frappe.utils import cint, create_batch, flt, getdate, now, nowdate

from erpnext.accounts.general_ledger import make_acc_dimensions_offsetting_entry
from erpnext.accounts.utils import FiscalYearError, get_fiscal_year, get_payment_ledger_entries

from school_fees import audit, ledger
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.status import DRAFT, invoice_status
from school_fees.invoicing import FEE_INVOICE, InvoiceBuilder, billing_key, existing_billing_keys
from school_fees.payments import apply_open_credit_to_issued

BILLING_RUN = "Billing Run"
BATCH_SIZE = 200
JOB_TIMEOUT = 4 * 3600
PROGRESS_EVENT = "billing_run_progress"

# Run statuses
DRAFT_RUN = "Draft"
QUEUED = "Queued"
PROCESSING = "Processing"
COMPLETED = "Completed"
PARTIALLY_COMPLETED = "Partially Completed"
FAILED = "Failed"
RUNNING_STATUSES = (QUEUED, PROCESSING)

# Why a student's installment is not billed (not an error)
EXCLUDED = "Excluded by hand"
INACTIVE = "Inactive"
ALREADY_INVOICED = "Already invoiced"
LEFT = "Left before the installment"
NOTHING_TO_BILL = "Nothing to bill"
SKIP_REASONS = (EXCLUDED, INACTIVE, ALREADY_INVOICED, LEFT, NOTHING_TO_BILL)


class BillingRunError(frappe.ValidationError):
	"""A billing run cannot be processed as asked."""


# ---------------------------------------------------------------- pure rules


def final_status(invoices_of_run: int, failed: int) -> str:
	"""Status of a run once the job has finished: Completed when nothing failed (even if everybody
	was skipped), Partially Completed when some failed but the run has invoices, else Failed."""
	if not failed:
		return COMPLETED
	return PARTIALLY_COMPLETED if invoices_of_run else FAILED


def skip_reason(
	*, excluded: bool, status: str | None, key_taken: bool, leaving_date, issue_date
) -> str | None:
	"""Why one installment of one student is not billed, or None when it is to be billed. The
	first matching reason wins: excluded by hand, inactive, already invoiced, left before the
	installment's issue date."""
	if excluded:
		return EXCLUDED
	if status != "Active":
		return INACTIVE
	if key_taken:
		return ALREADY_INVOICED
	if leaving_date and issue_date and getdate(leaving_date) < getdate(issue_date):
		return LEFT
	return None


# ---------------------------------------------------------------- scope


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


# ---------------------------------------------------------------- problems found before billing


def _message_of(error: Exception) -> str:
	"""The message of an exception raised with frappe.throw, removed from the message log so it is
	not shown again as a pop-up."""
	frappe.clear_last_message()
	return str(error)


def blocking_problems(run, students: list[str] | None = None) -> list[str]:
	"""Problems that stop the whole run before anything is created (shown by the preview, refused
	by confirm, and re-checked by the job): the structure is not billable, a fee head has no income
	account in the school, the invoice date is in a closed accounting period (or, when invoices
	are issued, outside every fiscal year, in frozen or closed books), an account or cost center
	cannot take entries, a due date falls before the invoice date, or nobody is in scope."""
	problems = structure_problems(run)
	if problems and not frappe.db.exists("Fee Structure", run.fee_structure):
		return problems
	context = LedgerContext.load(run, problems)
	problems.extend(installment_date_problems(run))
	if is_period_closed(run.company, run.posting_date):
		problems.append(
			_("The invoice date {0} is in a closed accounting period for Fee Invoices.").format(
				frappe.format(run.posting_date, "Date")
			)
		)
	if run.issue_invoices and context:
		problems.extend(context.posting_problems())
	if students is None:
		students = students_in_scope(run)
	if not students:
		problems.append(_("Nobody is in the scope of this run."))
	return problems


def structure_problems(run) -> list[str]:
	"""The structure must exist, be submitted and bill the run's school."""
	structure = frappe.db.get_value(
		"Fee Structure", run.fee_structure, ["name", "docstatus", "company"], as_dict=True
	)
	if not structure:
		return [_("Fee Structure {0} does not exist.").format(frappe.bold(run.fee_structure))]
	problems = []
	if structure.docstatus == 0:
		problems.append(
			_("Fee Structure {0} is not submitted: submit it before billing.").format(
				frappe.bold(structure.name)
			)
		)
	elif structure.docstatus == 2:
		problems.append(
			_("Fee Structure {0} is cancelled and cannot be billed.").format(frappe.bold(structure.name))
		)
	if structure.company != run.company:
		problems.append(
			_("Fee Structure {0} belongs to {1}, not to {2}.").format(
				frappe.bold(structure.name), structure.company, run.company
			)
		)
	return problems


def installment_date_problems(run) -> list[str]:
	problems = []
	rows = frappe.get_all(
		"Fee Structure Installment",
		filters={"parent": run.fee_structure, "parenttype": "Fee Structure"},
		fields=["installment", "due_date"],
		order_by="idx",
	)
	for row in rows:
		if run.installment and row.installment != run.installment:
			continue
		due_date = getdate(run.due_date or row.due_date)
		if due_date < getdate(run.posting_date):
			problems.append(
				_(
					"Installment {0} would be due on {1}, before the invoice date {2}: set a due date on the run."
				).format(
					frappe.bold(row.installment),
					frappe.format(due_date, "Date"),
					frappe.format(run.posting_date, "Date"),
				)
			)
	return problems


def is_period_closed(company: str, posting_date) -> bool:
	"""An ERPNext Accounting Period of the company that closes Fee Invoices on this date."""
	period = frappe.qb.DocType("Accounting Period")
	closed = frappe.qb.DocType("Closed Document")
	date = getdate(posting_date)
	return bool(
		frappe.qb.from_(period)
		.join(closed)
		.on(closed.parent == period.name)
		.select(period.name)
		.where(
			(period.company == company)
			& (closed.closed == 1)
			& (closed.document_type == FEE_INVOICE)
			& (period.start_date <= date)
			& (period.end_date >= date)
		)
		.limit(1)
		.run()
	)


@dataclass
class LedgerContext:
	"""What every invoice of a run shares: the company's fee settings, the fee heads' accounts, and
	the state of the books on the invoice date. Loaded once per batch."""

	run: Document
	settings: frappe._dict
	head_accounts: dict
	company_currency: str
	problems: list = field(default_factory=list)

	@classmethod
	def load(cls, run, problems: list) -> "LedgerContext | None":
		from school_fees.school_fees.doctype.fee_head.fee_head import get_fee_head_account
		from school_fees.setup.settings import get_company_settings

		try:
			settings = get_company_settings(run.company)
		except frappe.ValidationError as e:
			problems.append(_message_of(e))
			return None
		heads = frappe.get_all(
			"Fee Structure Component",
			filters={"parent": run.fee_structure, "parenttype": "Fee Structure"},
			pluck="fee_head",
			order_by="idx",
		)
		head_accounts = {}
		for head in dict.fromkeys(heads):
			try:
				head_accounts[head] = get_fee_head_account(head, run.company)
			except frappe.ValidationError as e:
				problems.append(_message_of(e))
		currency = frappe.get_cached_value("Company", run.company, "default_currency")
		return cls(run, settings, head_accounts, currency)

	def accounts(self) -> dict[str, str | None]:
		"""Account -> cost center it is posted with (None for balance-sheet rows)."""
		used = {self.settings.receivable_account: self.settings.cost_center}
		for account in self.head_accounts.values():
			used[account.income_account] = account.cost_center or self.settings.cost_center
		if self.settings.discount_account:
			used[self.settings.discount_account] = self.settings.cost_center
		return used

	def posting_problems(self) -> list[str]:
		"""Why GL entries could not be posted on the run's invoice date, as ERPNext would say it."""
		problems = []
		posting_date = getdate(self.run.posting_date)
		company = self.run.company
		try:
			get_fiscal_year(posting_date, company=company)
		except FiscalYearError as e:
			problems.append(_message_of(e))

		frozen_upto = frappe.db.get_single_value("Accounts Settings", "acc_frozen_upto")
		modifier = frappe.db.get_single_value("Accounts Settings", "frozen_accounts_modifier")
		if frozen_upto and posting_date <= getdate(frozen_upto):
			if modifier not in frappe.get_roles() or frappe.session.user == "Administrator":
				problems.append(
					_("The books are frozen up to {0}: invoices dated {1} cannot be posted.").format(
						frappe.format(frozen_upto, "Date"), frappe.format(posting_date, "Date")
					)
				)
		last_closing = frappe.db.get_value(
			"Period Closing Voucher", {"docstatus": 1, "company": company}, "max(period_end_date)"
		)
		if last_closing and posting_date <= getdate(last_closing):
			problems.append(
				_("The books are closed up to {0} (Period Closing Voucher).").format(
					frappe.format(last_closing, "Date")
				)
			)
		problems.extend(self.account_problems())
		return problems

	def account_problems(self) -> list[str]:
		used = self.accounts()
		names = [name for name in used if name]
		rows = {
			row.name: row
			for row in frappe.get_all(
				"Account",
				filters={"name": ("in", names or [""])},
				fields=["name", "company", "is_group", "disabled", "account_currency", "report_type"],
			)
		}
		problems = []
		if not self.settings.receivable_account:
			problems.append(
				_("School Fees Settings has no receivable account for {0}.").format(self.run.company)
			)
		for name, cost_center in used.items():
			if not name:
				continue
			row = rows.get(name)
			if not row:
				problems.append(_("Account {0} does not exist.").format(frappe.bold(name)))
			elif row.company != self.run.company:
				problems.append(
					_("Account {0} does not belong to {1}.").format(frappe.bold(name), self.run.company)
				)
			elif row.is_group:
				problems.append(_("Account {0} is a group account.").format(frappe.bold(name)))
			elif row.disabled:
				problems.append(_("Account {0} is disabled.").format(frappe.bold(name)))
			elif (row.account_currency or self.company_currency) != self.company_currency:
				problems.append(
					_("Account {0} is in {1}; fee invoices post in {2}.").format(
						frappe.bold(name), row.account_currency, self.company_currency
					)
				)
			elif row.report_type == "Profit and Loss" and not cost_center:
				problems.append(_("Account {0} needs a cost center.").format(frappe.bold(name)))
		for cost_center in {cc for cc in used.values() if cc}:
			row = frappe.db.get_value("Cost Center", cost_center, ["company", "is_group"], as_dict=True)
			if not row or row.company != self.run.company or row.is_group:
				problems.append(
					_("Cost Center {0} cannot take entries of {1}.").format(
						frappe.bold(cost_center), self.run.company
					)
				)
		return problems

	def single_path_reason(self) -> str | None:
		"""Why this site must be billed through the single-document path (its ledger has features
		the bulk writer does not reproduce row for row), or None."""
		if frappe.get_all(
			"Document Naming Rule", filters={"document_type": FEE_INVOICE, "disabled": 0}, limit=1
		):
			return "document naming rule"
		accounts = [name for name in self.accounts() if name]
		if frappe.get_all(
			"Account",
			filters={"name": ("in", accounts or [""])},
			or_filters={"freeze_account": "Yes", "balance_must_be": ("is", "set")},
			limit=1,
		):
			return "frozen or balance-type account"
		from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import (
			get_checks_for_pl_and_bs_accounts,
		)
		from erpnext.accounts.doctype.accounting_dimension_filter.accounting_dimension_filter import (
			get_dimension_filter_map,
		)

		if any(account in accounts for _dimension, account in get_dimension_filter_map()):
			return "accounting dimension filter"
		if any(
			d.company == self.run.company and (d.mandatory_for_pl or d.mandatory_for_bs)
			for d in get_checks_for_pl_and_bs_accounts()
		):
			return "mandatory accounting dimension"
		if frappe.get_all("Budget", filters={"company": self.run.company, "docstatus": 1}, limit=1):
			return "budget"
		return None


# ---------------------------------------------------------------- planning: who gets what


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
				leaving_date=row.leaving_date,
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
			plan.error = _message_of(e)
			return plan
		built = {doc.installment: doc for doc in docs}
		for label in wanted:
			if label in built:
				plan.invoices.append(built[label])
			else:
				plan.skipped.append((label, NOTHING_TO_BILL))
		return plan


def customer_problems(customers: list[str], company: str, company_currency: str) -> dict[str, str]:
	"""Customers that ERPNext would refuse to post to, with its message: disabled, frozen (unless
	the user may edit frozen accounts), or with entries of this company in another currency. Two
	queries for the whole batch."""
	customers = sorted({c for c in customers if c})
	if not customers:
		return {}
	problems = {}
	modifier = frappe.db.get_single_value("Accounts Settings", "frozen_accounts_modifier")
	for row in frappe.get_all(
		"Customer", filters={"name": ("in", customers)}, fields=["name", "disabled", "is_frozen"]
	):
		if row.disabled:
			problems[row.name] = _("{0} {1} is disabled").format(_("Customer"), row.name)
		elif row.is_frozen and modifier not in frappe.get_roles():
			problems[row.name] = _("{0} {1} is frozen").format(_("Customer"), row.name)
	gle = frappe.qb.DocType("GL Entry")
	for party, currency in (
		frappe.qb.from_(gle)
		.select(gle.party, gle.account_currency)
		.distinct()
		.where(
			(gle.company == company)
			& (gle.party_type == "Customer")
			& (gle.party.isin(customers))
			& (gle.is_cancelled == 0)
			& (gle.account_currency != company_currency)
		)
	).run():
		problems.setdefault(
			party,
			_("{0} {1} has accounting entries in currency {2} for company {3}.").format(
				_("Customer"), party, currency, company
			),
		)
	return problems


# ---------------------------------------------------------------- preview


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
	if structure_problems(run) or load_problems or context is None:
		return preview  # the structure cannot even be priced: the blocking problems say why

	builder = InvoiceBuilder(run.fee_structure)
	planner = RunPlanner(run, builder)
	preview.single_path = context.single_path_reason() if context and run.issue_invoices else None
	total = ZERO
	for batch in create_batch(students, BATCH_SIZE):
		plans = planner.plan(list(batch))
		refused = (
			customer_problems(
				[p.customer for p in plans if p.invoices], run.company, context.company_currency
			)
			if run.issue_invoices and context
			else {}
		)
		for plan in plans:
			if plan.invoices and plan.customer in refused:
				plan.fail(refused[plan.customer])
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


# ---------------------------------------------------------------- confirm and the job


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
		"school_fees.billing.run_billing",
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
					problems = [_message_of(e)]
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
		if stopped:
			status = PARTIALLY_COMPLETED if created else FAILED
		status = status or final_status(created, self.counts["failed"])
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
			refused = customer_problems(
				[p.customer for p in plans if p.invoices], run.company, context.company_currency
			)
			for plan in plans:
				if plan.invoices and plan.customer in refused:
					plan.fail(refused[plan.customer])

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
		from school_fees.invoicing import DuplicateBillingError, insert_invoice

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
				self.add_error(plan.student, ", ".join(d.installment for d in plan.invoices), _message_of(e))
				continue
			frappe.db.release_savepoint("billing_student")
			self.counts["created"] += len(plan.invoices)


def invoices_of_run(run_name: str) -> tuple[int, Decimal]:
	"""Live invoices linked to the run (Draft or issued) and their total."""
	invoice = frappe.qb.DocType(FEE_INVOICE)
	from frappe.query_builder.functions import Count, Sum

	count, total = (
		frappe.qb.from_(invoice)
		.select(Count(invoice.name), Sum(invoice.grand_total))
		.where((invoice.billing_run == run_name) & (invoice.docstatus < 2))
	).run()[0]
	return cint(count), quantize(to_decimal(total))


def reset_generated_names(doc: Document) -> None:
	"""Undo what a rolled-back bulk write set on a document (name, docstatus, status, timestamps),
	so it can be written again, in bulk or through insert()/submit()."""
	doc.name = None
	doc.flags.name_set = False
	doc.docstatus = 0
	doc.status = DRAFT
	doc.outstanding_amount, doc.paid_amount = doc.grand_total, 0
	for row in [doc, *doc.get_all_children()]:
		row.creation = row.modified = row.owner = row.modified_by = None
	for child in doc.get_all_children():
		child.name = None
		child.docstatus = 0


# ---------------------------------------------------------------- the bulk writer


class InvoiceWriter:
	"""Writes generated Fee Invoices in bulk: the rows `insert()` + `submit()` would write, one
	INSERT per table per batch.

	Per invoice it sets what the document lifecycle sets (name, parent links, docstatus, status,
	balances, timestamps); GL rows come from the controller's own `get_gl_entries()` through
	`ledger.prepare` (the merge/rounding of make_gl_entries), Payment Ledger rows from ERPNext's
	`get_payment_ledger_entries` called once for the batch."""

	def __init__(self, issue: bool, company: str):
		self.issue = issue
		# ERPNext adds balancing rows per accounting dimension when a company asks for them
		self.offset_dimensions = bool(
			issue
			and frappe.get_all(
				"Accounting Dimension Detail",
				filters={"company": company, "automatically_post_balancing_accounting_entry": 1},
				limit=1,
			)
		)

	def write(self, docs: list[Document]) -> None:
		if not docs:
			return
		docs = sorted(docs, key=lambda d: d.billing_key or "")  # same lock order in every process
		reserve_names(docs)
		timestamp, user, today = now(), frappe.session.user, getdate(nowdate())
		self.templates = {}
		docstatus = 1 if self.issue else 0
		children, audit_logs, gl_rows = [], [], []

		for doc in docs:
			doc.docstatus = docstatus
			doc.creation = doc.modified = timestamp
			doc.owner = doc.modified_by = user
			doc.set_parent_in_children()
			doc.set_docstatus()
			for child in doc.get_all_children():
				child.name = validate_name(child.doctype, make_autoname("hash", child.doctype))
				child.creation = child.modified = timestamp
				child.owner = child.modified_by = user
				children.append(child)
			audit_logs.append(audit.audit_row(FEE_INVOICE, doc.name, "Created", to_status=DRAFT))
			if not self.issue:
				continue
			grand_total = to_decimal(doc.grand_total)
			doc.status = invoice_status(1, grand_total, grand_total, getdate(doc.due_date), today)
			doc.outstanding_amount, doc.paid_amount = flt(grand_total), 0
			rows = doc.get_gl_entries()
			ledger.assert_balanced(rows, doc)
			if self.offset_dimensions:
				make_acc_dimensions_offsetting_entry(rows)
			gl_rows.append(rows)
			audit_logs.append(audit.audit_row(FEE_INVOICE, doc.name, "Issued", DRAFT, doc.status))

		gl_map = [row for rows in ledger.prepare_many(gl_rows, docs[0].company) for row in rows]
		stamp = {"creation": timestamp, "modified": timestamp, "owner": user, "modified_by": user}
		gl_entries = [self.new_row("GL Entry", row, stamp, docstatus=1) for row in gl_map]
		payment_entries = [
			self.new_row(row.doctype, row, stamp, docstatus=1) for row in get_payment_ledger_entries(gl_map)
		]
		logs = [self.new_row("Fee Audit Log", row, stamp) for row in audit_logs]

		insert_rows(docs)
		insert_rows(children)
		insert_rows(gl_entries)
		insert_rows(payment_entries)
		insert_rows(logs)

	def new_row(self, doctype: str, values: dict, stamp: dict, docstatus: int = 0) -> Document:
		"""A new document of `doctype` with `values`, as frappe.new_doc + update would make it (the
		defaults are computed once per doctype and batch), named as its insert() would name it."""
		if doctype not in self.templates:
			self.templates[doctype] = frappe.new_doc(doctype, as_dict=True)
		doc = frappe.get_doc({**self.templates[doctype], **values, **stamp, "docstatus": docstatus})
		if doctype == "GL Entry":
			doc.autoname()  # ERPNext's temporary hash name, renamed later by its scheduler
		else:
			doc.name = make_autoname("hash", doctype)
		return doc


def insert_rows(docs: list[Document], chunk_size: int = 1000) -> None:
	"""Write new documents with one multi-row INSERT per doctype (and per `chunk_size` rows), with
	exactly the columns and values their `db_insert` would write.

	This is frappe.db.bulk_insert without the query builder: building the statement through pypika
	costs about a millisecond per row, more than everything else the job does for an invoice. Table
	and column names come from the DocType meta; every value is a bound parameter."""
	by_doctype: dict[str, list[dict]] = {}
	for doc in docs:
		by_doctype.setdefault(doc.doctype, []).append(
			doc.get_valid_dict(convert_dates_to_str=True, ignore_virtual=True)
		)
	for doctype, rows in by_doctype.items():
		fields = list(rows[0])
		columns = ", ".join(f"`{field}`" for field in fields)
		row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
		for chunk in create_batch(rows, chunk_size):
			frappe.db.sql(
				f"INSERT INTO `tab{doctype}` ({columns}) VALUES {', '.join([row_placeholder] * len(chunk))}",
				[row[field] for row in chunk for field in fields],
			)


def reserve_names(docs: list[Document]) -> None:
	"""Name `docs` from their naming series with one counter update per series prefix: the block of
	numbers is reserved in tabSeries in this transaction (row lock until commit, like Frappe's own
	getseries) and every name is formatted by Frappe's parse_naming_series, exactly as make_autoname
	would name them one by one."""
	marker = "\x00"
	by_prefix: dict[str, list] = {}
	for doc in docs:
		if not doc.naming_series:
			from frappe.model.naming import get_default_naming_series

			doc.naming_series = get_default_naming_series(doc.doctype)
		series = NamingSeries(doc.naming_series + ".#####")
		series.validate()
		captured = {}

		def capture(prefix, digits, captured=captured):
			captured.update(prefix=prefix, digits=digits)
			return marker

		template = parse_naming_series(series.series.split("."), doc=doc, number_generator=capture)
		by_prefix.setdefault(captured["prefix"], []).append((doc, template, captured["digits"]))

	for prefix, items in by_prefix.items():
		first = advance_series(prefix, len(items))
		for offset, (doc, template, digits) in enumerate(items):
			number = ("%0" + str(digits) + "d") % (first + offset)
			doc.name = validate_name(doc.doctype, template.replace(marker, number, 1))
			doc.flags.name_set = True


def advance_series(prefix: str, count: int) -> int:
	"""Reserve `count` numbers of a naming-series prefix; returns the first."""
	series = frappe.qb.DocType("Series")
	current = frappe.qb.from_(series).select(series.current).where(series.name == prefix).for_update().run()
	if current and current[0][0] is not None:
		first = cint(current[0][0]) + 1
		frappe.qb.update(series).set(series.current, series.current + count).where(
			series.name == prefix
		).run()
	else:
		first = 1
		frappe.qb.into(series).columns("name", "current").insert(prefix, count).run()
	return first
