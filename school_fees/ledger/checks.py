"""Would the books take entries? Asked before a bulk run writes anything.

A Billing Run checks, once per batch, what ERPNext would refuse one invoice at a time: a closed
accounting period, a date outside every fiscal year, frozen or closed books (ERPNext's own
validators are called and their messages kept), accounts and cost centers that cannot take
entries, and customers ERPNext would not post to. It also tells when a site uses ledger features
the bulk writer does not reproduce row for row (then the single-document path bills it).
"""

import frappe
from frappe import _
from frappe.utils import getdate

from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import (
	get_checks_for_pl_and_bs_accounts,
)
from erpnext.accounts.doctype.accounting_dimension_filter.accounting_dimension_filter import (
	get_dimension_filter_map,
)
from erpnext.accounts.doctype.accounting_period.accounting_period import (
	ClosedAccountingPeriod,
	validate_accounting_period_on_doc_save,
)
from erpnext.accounts.general_ledger import check_freezing_date, validate_against_pcv
from erpnext.accounts.utils import get_fiscal_year, get_fiscal_years


def message_of(error: Exception) -> str:
	"""The message of an exception raised with frappe.throw, removed from the message log so it is
	not shown again as a pop-up."""
	frappe.clear_last_message()
	return str(error)


def refusal(check, *args) -> str | None:
	"""Run one of ERPNext's validators; its message when it refuses, else None."""
	try:
		check(*args)
	except frappe.ValidationError as e:
		return message_of(e)
	return None


def is_period_closed(doctype: str, company: str, posting_date) -> bool:
	"""An ERPNext Accounting Period of the company closes `doctype` documents on this date (the
	check ERPNext runs when such a document is saved)."""
	document = frappe._dict(doctype=doctype, company=company, posting_date=getdate(posting_date))
	try:
		validate_accounting_period_on_doc_save(document)
	except ClosedAccountingPeriod:
		frappe.clear_last_message()
		return True
	return False


def has_fiscal_year(date, company: str) -> bool:
	"""An active Fiscal Year of the company covers the date (ERPNext's own look-up)."""
	return bool(get_fiscal_years(getdate(date), company=company, boolean=True))


def posting_problems(company: str, posting_date) -> list[str]:
	"""Why GL entries could not be posted on this date, in ERPNext's words: no fiscal year, frozen
	books, or books closed by a Period Closing Voucher."""
	posting_date = getdate(posting_date)
	checks = (
		(lambda: get_fiscal_year(posting_date, company=company)),
		(lambda: check_freezing_date(posting_date)),
		(lambda: validate_against_pcv(False, posting_date, company)),
	)
	return [problem for problem in (refusal(check) for check in checks) if problem]


def account_problems(company: str, accounts: dict[str, str | None], company_currency: str) -> list[str]:
	"""Accounts (account -> cost center it is posted with) and cost centers that cannot take
	entries of the company: missing, of another company, group, disabled, in another currency, or a
	profit-and-loss account without a cost center."""
	names = [name for name in accounts if name]
	rows = {
		row.name: row
		for row in frappe.get_all(
			"Account",
			filters={"name": ("in", names or [""])},
			fields=["name", "company", "is_group", "disabled", "account_currency", "report_type"],
		)
	}
	problems = []
	for name, cost_center in accounts.items():
		if not name:
			continue
		row = rows.get(name)
		if not row:
			problems.append(_("Account {0} does not exist.").format(frappe.bold(name)))
		elif row.company != company:
			problems.append(_("Account {0} does not belong to {1}.").format(frappe.bold(name), company))
		elif row.is_group:
			problems.append(_("Account {0} is a group account.").format(frappe.bold(name)))
		elif row.disabled:
			problems.append(_("Account {0} is disabled.").format(frappe.bold(name)))
		elif (row.account_currency or company_currency) != company_currency:
			problems.append(
				_("Account {0} is in {1}; fee invoices post in {2}.").format(
					frappe.bold(name), row.account_currency, company_currency
				)
			)
		elif row.report_type == "Profit and Loss" and not cost_center:
			problems.append(_("Account {0} needs a cost center.").format(frappe.bold(name)))
	for cost_center in sorted({cc for cc in accounts.values() if cc}):
		row = frappe.db.get_value("Cost Center", cost_center, ["company", "is_group"], as_dict=True)
		if not row or row.company != company or row.is_group:
			problems.append(
				_("Cost Center {0} cannot take entries of {1}.").format(frappe.bold(cost_center), company)
			)
	return problems


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


def bulk_unsupported_reason(doctype: str, company: str, accounts: list[str]) -> str | None:
	"""Why vouchers of `doctype` posting to `accounts` must go through the single-document path
	(the site's ledger has features the bulk writer does not reproduce row for row), or None."""
	if frappe.get_all("Document Naming Rule", filters={"document_type": doctype, "disabled": 0}, limit=1):
		return "document naming rule"
	accounts = [name for name in accounts if name]
	if frappe.get_all(
		"Account",
		filters={"name": ("in", accounts or [""])},
		or_filters={"freeze_account": "Yes", "balance_must_be": ("is", "set")},
		limit=1,
	):
		return "frozen or balance-type account"
	if any(account in accounts for _dimension, account in get_dimension_filter_map()):
		return "accounting dimension filter"
	if any(
		d.company == company and (d.mandatory_for_pl or d.mandatory_for_bs)
		for d in get_checks_for_pl_and_bs_accounts()
	):
		return "mandatory accounting dimension"
	if frappe.get_all("Budget", filters={"company": company, "docstatus": 1}, limit=1):
		return "budget"
	return None


def direct_posting_refusal(
	doctype: str, company: str, posting_date, accounts: dict[str, str | None], customers: list[str]
) -> str | None:
	"""Why a voucher's rows must go through ERPNext's make_gl_entries rather than be written directly
	(ledger.posting.post): anything ERPNext would refuse or add on this date, these accounts and
	customers, or a ledger feature of the site the direct write does not reproduce. None: write."""
	if is_period_closed(doctype, company, posting_date):
		return "closed accounting period"
	currency = frappe.get_cached_value("Company", company, "default_currency")
	problems = posting_problems(company, posting_date) + account_problems(company, accounts, currency)
	if problems:
		return problems[0]
	refused = customer_problems(customers, company, currency)
	if refused:
		return next(iter(refused.values()))
	return bulk_unsupported_reason(doctype, company, list(accounts))
