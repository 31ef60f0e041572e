"""The accounts a school's fee documents post to, and the checks on them.

- which income account and cost center a fee head uses in a school (:func:`get_fee_head_account`);
- which cash/bank account a mode of payment uses in a school (:func:`get_mode_of_payment_account`);
- checks on the accounts and cost centers masters and settings point to. Each check names where the
  value came from (``context``, e.g. "Fee Head Tuition, row 2") and which field (``what``), so the
  user sees exactly what to fix.
"""

import frappe
from frappe import _

from school_fees.settings import get_default_cost_center


class InvalidAccountError(frappe.ValidationError):
	"""An account or cost center belongs to another company or is of the wrong kind."""


class FeeHeadAccountMissingError(frappe.ValidationError):
	"""A fee head has no income account for a school."""


class ModeOfPaymentAccountMissingError(frappe.ValidationError):
	"""A mode of payment has no default cash/bank account for a school."""


def get_fee_head_account(fee_head: str, company: str) -> frappe._dict:
	"""Income account and cost center of ``fee_head`` for ``company``.

	The cost center is the row's, else the company's School Fees cost center, else the company's
	default cost center.

	Raises:
		FeeHeadAccountMissingError: the fee head has no income account for the company.
	"""
	row = frappe.db.get_value(
		"Fee Head Account",
		{"parent": fee_head, "parenttype": "Fee Head", "company": company},
		["income_account", "cost_center"],
		as_dict=True,
	)
	if not row or not row.income_account:
		frappe.throw(
			_(
				"Fee Head {0} has no income account for company {1}. Add a row for {1} in the "
				"fee head's Accounts table."
			).format(frappe.bold(fee_head), frappe.bold(company)),
			FeeHeadAccountMissingError,
			title=_("Income Account Missing"),
		)
	return frappe._dict(
		income_account=row.income_account, cost_center=row.cost_center or get_default_cost_center(company)
	)


def get_mode_of_payment_account(mode_of_payment: str, company: str) -> str:
	"""The default cash/bank account of a Mode of Payment for the company (the desk asks ERPNext's
	whitelisted get_bank_cash_account for the same value)."""
	account = frappe.db.get_value(
		"Mode of Payment Account", {"parent": mode_of_payment, "company": company}, "default_account"
	)
	if not account:
		frappe.throw(
			_("Set the default cash or bank account of Mode of Payment {0} for company {1}.").format(
				frappe.bold(mode_of_payment), frappe.bold(company)
			),
			ModeOfPaymentAccountMissingError,
			title=_("Missing Account"),
		)
	return account


def validate_account(
	account: str | None,
	company: str,
	context: str,
	what: str,
	*,
	account_type: str | None = None,
	root_type: str | None = None,
	report_type: str | None = None,
	forbidden_account_types: tuple[str, ...] = (),
) -> None:
	"""Check that ``account`` is an enabled ledger account of ``company`` with the wanted kind.

	An empty ``account`` passes (mandatory fields are Frappe's job)."""
	if not account:
		return
	details = frappe.db.get_value(
		"Account",
		account,
		["company", "is_group", "disabled", "account_type", "root_type", "report_type"],
		as_dict=True,
	)
	if not details:
		throw(_("{0}: {1} {2} does not exist.").format(context, what, frappe.bold(account)))
	if details.company != company:
		throw(
			_("{0}: {1} {2} belongs to company {3}, not {4}.").format(
				context, what, frappe.bold(account), frappe.bold(details.company), frappe.bold(company)
			)
		)
	if details.is_group:
		throw(
			_("{0}: {1} {2} is a group account; choose a ledger account.").format(
				context, what, frappe.bold(account)
			)
		)
	if details.disabled:
		throw(_("{0}: {1} {2} is disabled.").format(context, what, frappe.bold(account)))
	if account_type and details.account_type != account_type:
		throw(
			_("{0}: {1} {2} must have account type {3}.").format(
				context, what, frappe.bold(account), frappe.bold(_(account_type))
			)
		)
	if root_type and details.root_type != root_type:
		throw(
			_("{0}: {1} {2} must be of root type {3}, not {4}.").format(
				context, what, frappe.bold(account), frappe.bold(_(root_type)), _(details.root_type or "")
			)
		)
	if report_type and details.report_type != report_type:
		throw(
			_("{0}: {1} {2} must be a {3} account.").format(
				context, what, frappe.bold(account), frappe.bold(_(report_type))
			)
		)
	if details.account_type and details.account_type in forbidden_account_types:
		throw(
			_("{0}: {1} {2} must not have account type {3}.").format(
				context, what, frappe.bold(account), frappe.bold(_(details.account_type))
			)
		)


def validate_cost_center(cost_center: str | None, company: str, context: str) -> None:
	"""Check that ``cost_center`` is an enabled ledger cost center of ``company`` (empty passes)."""
	if not cost_center:
		return
	details = frappe.db.get_value(
		"Cost Center", cost_center, ["company", "is_group", "disabled"], as_dict=True
	)
	if not details:
		throw(_("{0}: Cost Center {1} does not exist.").format(context, frappe.bold(cost_center)))
	if details.company != company:
		throw(
			_("{0}: Cost Center {1} belongs to company {2}, not {3}.").format(
				context, frappe.bold(cost_center), frappe.bold(details.company), frappe.bold(company)
			)
		)
	if details.is_group:
		throw(
			_("{0}: Cost Center {1} is a group; choose a ledger cost center.").format(
				context, frappe.bold(cost_center)
			)
		)
	if details.disabled:
		throw(_("{0}: Cost Center {1} is disabled.").format(context, frappe.bold(cost_center)))


def throw(message: str) -> None:
	frappe.throw(message, InvalidAccountError, title=_("Invalid Account"))


def validate_company_settings_row(row) -> None:
	"""Check that every account and the cost center of a company row belong to that company and have
	the kind the ledger needs.

	- receivable: a Receivable ledger account (the fee sub-ledger's control account);
	- deposit: a Liability account that is neither Receivable nor Payable, so deposits stay off the
	  Payment Ledger while keeping the party on their GL rows;
	- income fallback: an Income account; credit, write-off and discount accounts: profit and loss.
	"""
	context = _("School Fees Settings, company {0}").format(frappe.bold(row.company))
	validate_account(
		row.receivable_account, row.company, context, _("Receivable Account"), account_type="Receivable"
	)
	validate_account(row.income_account, row.company, context, _("Income Account"), root_type="Income")
	validate_account(
		row.deposit_account,
		row.company,
		context,
		_("Deposit Account"),
		root_type="Liability",
		forbidden_account_types=("Receivable", "Payable"),
	)
	for fieldname in (
		"discount_account",
		"concession_account",
		"scholarship_account",
		"cancelled_class_account",
		"write_off_account",
	):
		validate_account(
			row.get(fieldname),
			row.company,
			context,
			_(row.meta.get_label(fieldname)),
			report_type="Profit and Loss",
		)
	validate_cost_center(row.cost_center, row.company, context)
