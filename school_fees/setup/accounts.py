"""Checks on the accounts and cost centers that School Fees masters and settings point to.

Each check names where the value came from (``context``, e.g. "Fee Head Tuition, row 2") and which
field (``what``), so the user sees exactly what to fix.
"""

import frappe
from frappe import _


class InvalidAccountError(frappe.ValidationError):
	"""An account or cost center belongs to another company or is of the wrong kind."""


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
