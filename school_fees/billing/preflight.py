"""Problems that stop a whole Billing Run before anything is created.

Shown by the preview, refused by confirm, and checked again by the job for every batch (things
change while a run waits): the structure cannot bill, a fee head has no income account in the
school, the invoice date is in a closed accounting period (or, when invoices are issued, outside
every fiscal year, in frozen or closed books), an account or cost center cannot take entries, an
installment would fall due before the invoice date, or nobody is in scope. What the books would
refuse is asked of ERPNext's own validators (ledger.checks).
"""

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.model.document import Document

from school_fees.accounts import get_fee_head_account
from school_fees.billing.plan import students_in_scope
from school_fees.invoicing.structures import due_date_problem, structure_problems
from school_fees.ledger import checks
from school_fees.settings import get_company_settings

FEE_INVOICE = "Fee Invoice"


def blocking_problems(run, students: list[str] | None = None) -> list[str]:
	"""Everything that blocks `run` (see the module docstring); empty when it can start."""
	problems = structure_problems(run.fee_structure, run.company)
	if problems and not frappe.db.exists("Fee Structure", run.fee_structure):
		return problems
	context = LedgerContext.load(run, problems)
	problems.extend(installment_date_problems(run))
	if checks.is_period_closed(FEE_INVOICE, run.company, run.posting_date):
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


def installment_date_problems(run) -> list[str]:
	"""Installments of the run that would fall due before its invoice date."""
	rows = frappe.get_all(
		"Fee Structure Installment",
		filters={"parent": run.fee_structure, "parenttype": "Fee Structure"},
		fields=["installment", "due_date"],
		order_by="idx",
	)
	problems = (
		due_date_problem(run.posting_date, run.due_date or row.due_date, installment=row.installment)
		for row in rows
		if not run.installment or row.installment == run.installment
	)
	return [problem for problem in problems if problem]


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
		"""The context of `run`; what stops it from being loaded is added to `problems`."""
		try:
			settings = get_company_settings(run.company)
		except frappe.ValidationError as e:
			problems.append(checks.message_of(e))
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
				problems.append(checks.message_of(e))
		currency = frappe.get_cached_value("Company", run.company, "default_currency")
		return cls(run, settings, head_accounts, currency)

	def accounts(self) -> dict[str, str | None]:
		"""Account -> cost center it is posted with."""
		used = {self.settings.receivable_account: self.settings.cost_center}
		for account in self.head_accounts.values():
			used[account.income_account] = account.cost_center or self.settings.cost_center
		if self.settings.discount_account:
			used[self.settings.discount_account] = self.settings.cost_center
		return used

	def posting_problems(self) -> list[str]:
		"""Why the run's invoices could not be posted on its invoice date."""
		problems = checks.posting_problems(self.run.company, self.run.posting_date)
		if not self.settings.receivable_account:
			problems.append(
				_("School Fees Settings has no receivable account for {0}.").format(self.run.company)
			)
		problems.extend(checks.account_problems(self.run.company, self.accounts(), self.company_currency))
		return problems

	def customer_problems(self, customers: list[str]) -> dict[str, str]:
		return checks.customer_problems(customers, self.run.company, self.company_currency)

	def single_path_reason(self) -> str | None:
		"""Why this site must be billed through the single-document path, or None."""
		return checks.bulk_unsupported_reason(FEE_INVOICE, self.run.company, list(self.accounts()))
