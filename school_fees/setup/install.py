"""Install, migrate and uninstall hooks, and the per-company setup (Company hook).

What install adds to a site, and what uninstall does with it:

- Roles Fees Manager, Fee Cashier, Class Teacher, Principal, Trust Administrator (desk access), and
  ERPNext's own Auditor, which reads the fee DocTypes and reports (:data:`SHARED_ROLES`).
  Created in ``before_install`` so that the DocType permissions can name them during the first sync.
  Uninstall unassigns and deletes them, except the shared Auditor role that ERPNext owns.
- Select and read rights for those roles on the ERPNext DocTypes the fee forms link to (Customer,
  Company, Account, Mode of Payment, Cost Center, Currency; see :data:`ERPNEXT_PERMISSIONS`), as
  Custom DocPerm rows made with Frappe's own ``add_permission``: without them a Fee Cashier cannot
  pick the customer, the school or the cash account of a receipt. Uninstall deletes the rows, and puts a DocType back on
  its standard permissions when install was what customized it and nobody changed it since.
- On migrate, two repairs of what a DocType change cannot reach on a site that has documents: the
  naming-series options Frappe froze in a Property Setter get the app's new series (one per Payment
  Allocation type), and fee documents saved without a currency get their school's.
- Accounting-dimension custom fields on the app's vouchers (``accounting_dimension_doctypes`` in
  hooks), made with ERPNext's own helper. Uninstall deletes every Custom Field and Property Setter
  that targets one of the app's DocTypes (Frappe drops the DocTypes but not their customizations).
- Per company (:func:`setup_company`): accounts "Student Fees Receivable", "Student Deposits",
  "Fee Concessions" and "Fee Write-offs", and the company's row in School Fees Settings. Uninstall
  deletes those accounts only when this app created them and nothing posted to them; an account
  with GL entries is part of the books and stays (see :func:`remove_created_accounts`).
"""

import click

import frappe
from frappe import _
from frappe.permissions import (
	add_permission,
	reset_perms,
	rights,
	setup_custom_perms,
	update_permission_property,
)
from frappe.query_builder.functions import Max
from frappe.utils import create_batch, strip_html

from school_fees.accounts import validate_company_settings_row
from school_fees.indexes import add_unique_keys
from school_fees.ledger.posting import add_dimension_fields
from school_fees.settings import (
	COMPANY_SETTINGS_DOCTYPE,
	COMPANY_SETTINGS_FIELD,
	SETTINGS_DOCTYPE,
	has_company_settings,
)

APP_NAME = "school_fees"
MODULE = "School Fees"

ROLES = ("Fees Manager", "Fee Cashier", "Class Teacher", "Principal", "Trust Administrator", "Auditor")
# ERPNext's own roles the app reuses: ensured and given rights on the fee DocTypes, never deleted
SHARED_ROLES = ("Auditor",)

# Apps that define DocTypes with the same names as ours (Fee Structure, Student, ...)
CONFLICTING_APPS = ("education",)

RECEIVABLE_ACCOUNT = "Student Fees Receivable"
DEPOSIT_ACCOUNT = "Student Deposits"
CONCESSION_ACCOUNT = "Fee Concessions"
WRITE_OFF_ACCOUNT = "Fee Write-offs"

# DefaultValue key remembering which accounts install created (value: the Account name), so that
# uninstall never deletes an account a user made before installing the app.
CREATED_ACCOUNT_KEY = "school_fees_created_account"

# What the app's roles may do on ERPNext DocTypes: only what the fee forms need to link to them
# ("select": pick it in a link field; "read": fetch its values into the form). A cashier records
# receipts and deposits (customer, school, cash/bank account, mode of payment, cost center, and the
# school's currency the form fills in) and edits none of these masters. A principal or trust
# administrator reads the whole school, so reports may show its customers, accounts and
# modes of payment as links; a class teacher only picks a school and sees amounts in its currency.
# ERPNext's own Auditor is left out: it has standard rows on Company (select), Account and Cost Center
# that install must not rewrite, and it reads the fee documents and reports without more.
LINK_RIGHTS = ("select", "read")
FORM_LINKS = ("Customer", "Company", "Account", "Mode of Payment", "Cost Center", "Currency")
ERPNEXT_PERMISSIONS = {
	"Fee Cashier": dict.fromkeys(FORM_LINKS, LINK_RIGHTS),
	"Fees Manager": dict.fromkeys(FORM_LINKS, LINK_RIGHTS),
	"Principal": dict.fromkeys(FORM_LINKS, LINK_RIGHTS),
	"Trust Administrator": dict.fromkeys(FORM_LINKS, LINK_RIGHTS),
	"Class Teacher": dict.fromkeys(("Company", "Currency"), LINK_RIGHTS),
}
# DefaultValue key remembering the DocTypes whose permissions install customized (Frappe copies the
# standard rows into Custom DocPerm first), so that uninstall can put them back on their standard rows.
CUSTOMIZED_PERMISSIONS_KEY = "school_fees_customized_permissions"


class IncompatibleAppError(frappe.ValidationError):
	"""The site has an app installed that cannot live next to School Fees."""


# Hooks
# -----


REPOST_SETTINGS_DOCTYPE = "Repost Accounting Ledger Settings"


def before_install():
	check_conflicting_apps()
	ensure_roles()


def after_install():
	ensure_roles()
	add_erpnext_permissions()
	create_accounting_dimension_fields()
	ensure_settings()
	allow_repost_of_vouchers()
	setup_all_companies()


def after_migrate():
	ensure_roles()
	add_erpnext_permissions()
	add_naming_series_options()
	fill_missing_currencies()
	create_accounting_dimension_fields()
	ensure_settings()
	ensure_indexes()
	allow_repost_of_vouchers()
	setup_all_companies()


def before_uninstall():
	for account, reason in remove_created_accounts():
		click.echo(_("Kept account {0}: it {1}.").format(account, reason))
	remove_custom_fields()
	disallow_repost_of_vouchers()
	remove_erpnext_permissions()
	remove_roles()


# Install steps
# -------------


def check_conflicting_apps(installed_apps: list[str] | None = None):
	installed = set(frappe.get_installed_apps() if installed_apps is None else installed_apps)
	for app in CONFLICTING_APPS:
		if app in installed:
			frappe.throw(
				_(
					"School Fees cannot be installed on a site that has the {0} app: both define the "
					"DocTypes Fee Structure and Student. Uninstall {0} first, or use another site."
				).format(frappe.bold(app)),
				IncompatibleAppError,
				title=_("Incompatible App Installed"),
			)


def ensure_roles():
	for role in ROLES:
		if frappe.db.exists("Role", role):
			if not frappe.db.get_value("Role", role, "desk_access"):
				frappe.db.set_value("Role", role, "desk_access", 1)
			continue
		frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
			ignore_permissions=True
		)


def add_erpnext_permissions():
	"""Grant :data:`ERPNEXT_PERMISSIONS` as Custom DocPerm rows (level 0), through Frappe's own helpers.

	Idempotent: a right already granted is left alone, and rights an administrator added to the row
	are kept."""
	for role, doctypes in ERPNEXT_PERMISSIONS.items():
		if not frappe.db.exists("Role", role):
			continue
		for doctype, wanted in doctypes.items():
			if not frappe.db.exists("DocType", doctype):
				continue
			grant_permission(doctype, role, wanted)


def grant_permission(doctype: str, role: str, wanted: tuple[str, ...]):
	if setup_custom_perms(doctype):
		frappe.defaults.add_global_default(CUSTOMIZED_PERMISSIONS_KEY, doctype)
	row = {"parent": doctype, "role": role, "permlevel": 0, "if_owner": 0}
	if not frappe.db.exists("Custom DocPerm", row):
		add_permission(doctype, role, permlevel=0, ptype=wanted[0])
	granted = frappe.db.get_value("Custom DocPerm", row, list(wanted), as_dict=True)
	missing = [right for right in wanted if not granted.get(right)]
	for right in missing:
		update_permission_property(doctype, role, 0, right, 1, validate=False)
	if missing:
		frappe.clear_cache(doctype=doctype)


def add_naming_series_options():
	"""Offer every series the app's DocTypes declare, also on a site that already has documents.

	When Frappe reloads a DocType that has records it keeps the naming-series options in a Property
	Setter (``DocType.before_reload``), so a series the app adds later (Payment Allocation: one per
	type) would never reach that site. Append the missing ones; series a user added stay."""
	doctypes = frappe.get_all("DocType", filters={"module": MODULE}, pluck="name")
	setters = frappe.get_all(
		"Property Setter",
		filters={"doc_type": ("in", doctypes), "field_name": "naming_series", "property": "options"},
		fields=["name", "doc_type", "value"],
	)
	for setter in setters:
		declared = frappe.db.get_value(
			"DocField", {"parent": setter.doc_type, "fieldname": "naming_series"}, "options"
		)
		offered = [series for series in (setter.value or "").split("\n") if series]
		missing = [series for series in (declared or "").split("\n") if series and series not in offered]
		if missing:
			frappe.db.set_value("Property Setter", setter.name, "value", "\n".join(offered + missing))
			frappe.clear_cache(doctype=setter.doc_type)


def fill_missing_currencies():
	"""Give every fee document saved without a currency its school's currency, so amounts never show
	in the site's default currency (documents saved before their DocType had a currency field).

	Only the rows found missing one (a plain read) are updated, school by school, by name."""
	for doctype in frappe.get_all("DocType", filters={"module": MODULE, "istable": 0}, pluck="name"):
		meta = frappe.get_meta(doctype)
		if meta.issingle or not (meta.has_field("currency") and meta.has_field("company")):
			continue
		missing = frappe.get_all(
			doctype, filters={"currency": ("is", "not set")}, fields=["name", "company"], order_by="name"
		)
		by_company = {}
		for row in missing:
			by_company.setdefault(row.company, []).append(row.name)
		document = frappe.qb.DocType(doctype)
		for company, names in by_company.items():
			currency = frappe.get_cached_value("Company", company, "default_currency") if company else None
			if not currency:
				continue
			for batch in create_batch(names, 500):
				frappe.qb.update(document).set(document.currency, currency).where(
					document.name.isin(batch)
				).run()


def get_voucher_doctypes() -> list[str]:
	return frappe.get_hooks("accounting_dimension_doctypes", app_name=APP_NAME) or []


def create_accounting_dimension_fields():
	"""Add a field for every Accounting Dimension to our vouchers (after ``accounting_dimensions_section``).

	Dimensions created later are added by ERPNext itself, which reads the same hook."""
	for doctype in get_voucher_doctypes():
		add_dimension_fields(doctype)


def allow_repost_of_vouchers():
	"""List our vouchers in ERPNext's Repost Accounting Ledger Settings.

	The `repost_allowed_doctypes` hook only lets the repost run; the tool itself refuses any
	voucher type the settings don't allow (repost_accounting_ledger.validate_vouchers)."""
	settings = frappe.get_single(REPOST_SETTINGS_DOCTYPE)
	allowed = {row.document_type for row in settings.allowed_types}
	missing = [doctype for doctype in get_voucher_doctypes() if doctype not in allowed]
	for doctype in missing:
		settings.append("allowed_types", {"document_type": doctype, "allowed": 1})
	if missing:
		settings.save(ignore_permissions=True)


def disallow_repost_of_vouchers():
	table = frappe.qb.DocType("Repost Allowed Types")
	frappe.qb.from_(table).delete().where(
		(table.parent == REPOST_SETTINGS_DOCTYPE) & table.document_type.isin(get_voucher_doctypes())
	).run()


def ensure_settings():
	"""Persist School Fees Settings with its defaults if it was never saved."""
	singles = frappe.qb.DocType("Singles")
	saved = frappe.qb.from_(singles).select(singles.field).where(singles.doctype == SETTINGS_DOCTYPE).run()
	if not saved:
		frappe.get_single(SETTINGS_DOCTYPE).save(ignore_permissions=True)


def ensure_indexes():
	"""Unique keys declared in ``on_doctype_update`` only run when a DocType is synced; re-run them."""
	add_unique_keys()


def setup_all_companies():
	for company in frappe.get_all("Company", pluck="name", order_by="lft"):
		try_setup_company(company, report=click.echo)


# Per-company setup (Company on_update hook)
# ------------------------------------------


def setup_company(doc, method=None):
	"""Create the School Fees accounts of a company and its row in School Fees Settings.

	Idempotent: accounts are found by name before being created, and an existing settings row is only
	completed (values an accountant chose are never overwritten). It runs from the Company
	``on_update`` hook because ERPNext creates the chart of accounts in ``Company.on_update``, after
	``after_insert``; a company without a chart yet is skipped and set up on its next save.

	As the hook (``method`` given) a failure is reported as a warning and does not stop the company
	from being saved; called directly it raises.
	"""
	company = doc if isinstance(doc, str) else doc.name
	if method:
		try_setup_company(company, report=lambda message: frappe.msgprint(message, indicator="orange"))
		return

	if not frappe.db.exists("Account", {"company": company}):
		return

	existing = None
	if has_company_settings(company):
		existing = frappe.get_doc(
			COMPANY_SETTINGS_DOCTYPE,
			frappe.db.get_value(COMPANY_SETTINGS_DOCTYPE, {"parent": SETTINGS_DOCTYPE, "company": company}),
		)

	values = get_default_company_settings(company, existing)
	if existing:
		missing = {field: value for field, value in values.items() if value and not existing.get(field)}
		if missing:
			frappe.db.set_value(COMPANY_SETTINGS_DOCTYPE, existing.name, missing)
	else:
		add_company_settings_row(values)


def try_setup_company(company: str, report) -> bool:
	"""Set up one company; if its chart cannot take the accounts, undo, ``report`` why and go on.

	Used where one odd company must not block the rest: install, migrate, saving a Company."""
	frappe.db.savepoint("school_fees_setup_company")
	try:
		setup_company(company)
	except frappe.ValidationError as e:
		frappe.db.rollback(save_point="school_fees_setup_company")
		frappe.clear_last_message()
		report(
			_(
				"School Fees could not set up company {0}: {1} Choose its accounts in School Fees Settings."
			).format(company, strip_html(str(e)))
		)
		return False
	return True


def get_default_company_settings(company: str, existing=None) -> dict:
	"""The default School Fees accounts of a company, creating the four app accounts when missing.

	An account is only looked up or created for a field that ``existing`` (the company's settings row,
	if any) leaves empty."""

	def wanted(*fields):
		return not existing or any(not existing.get(field) for field in fields)

	company_defaults = frappe.db.get_value(
		"Company", company, ["default_income_account", "cost_center"], as_dict=True
	)
	values = {"company": company}
	if wanted("receivable_account"):
		values["receivable_account"] = ensure_account(
			company, RECEIVABLE_ACCOUNT, get_receivable_parent(company), account_type="Receivable"
		)
	if wanted("deposit_account"):
		values["deposit_account"] = ensure_account(company, DEPOSIT_ACCOUNT, get_liability_parent(company))
	if wanted("concession_account", "scholarship_account", "cancelled_class_account"):
		concessions = ensure_account(company, CONCESSION_ACCOUNT, get_expense_parent(company))
		values.update(
			concession_account=concessions,
			scholarship_account=concessions,
			cancelled_class_account=concessions,
		)
	if wanted("write_off_account"):
		values["write_off_account"] = ensure_account(company, WRITE_OFF_ACCOUNT, get_expense_parent(company))
	values["income_account"] = company_defaults.default_income_account
	values["cost_center"] = company_defaults.cost_center
	return values


def add_company_settings_row(values: dict):
	"""Insert one row into School Fees Settings.company_settings.

	The row is inserted on its own instead of saving the whole Single: saving the Single rewrites every
	company's row, and two companies set up at the same time (two schools created in parallel, or
	parallel test sessions) would drop each other's row."""
	table = frappe.qb.DocType(COMPANY_SETTINGS_DOCTYPE)
	last_idx = (
		frappe.qb.from_(table).select(Max(table.idx)).where(table.parent == SETTINGS_DOCTYPE).run()[0][0]
	)
	row = frappe.get_doc(
		{
			"doctype": COMPANY_SETTINGS_DOCTYPE,
			"parent": SETTINGS_DOCTYPE,
			"parenttype": SETTINGS_DOCTYPE,
			"parentfield": COMPANY_SETTINGS_FIELD,
			"idx": (last_idx or 0) + 1,
			**values,
		}
	)
	validate_company_settings_row(row)
	row.db_insert()


def ensure_account(company: str, account_name: str, parent_account: str, account_type: str = "") -> str:
	"""Name of the company's ledger account called ``account_name``; created under ``parent_account``
	when the company has none."""
	existing = frappe.db.get_value(
		"Account", {"company": company, "account_name": account_name, "is_group": 0}, "name"
	)
	if existing:
		return existing

	account = frappe.get_doc(
		{
			"doctype": "Account",
			"company": company,
			"account_name": account_name,
			"parent_account": parent_account,
			"account_type": account_type,
			"account_currency": frappe.db.get_value("Company", company, "default_currency"),
			"is_group": 0,
		}
	)
	# Every school gets its accounts from its own setup. Without this flag ERPNext refuses accounts in
	# a child company (a school under a trust) that its root company lacks.
	account.flags.ignore_root_company_validation = True
	account.insert(ignore_permissions=True)
	frappe.defaults.add_global_default(CREATED_ACCOUNT_KEY, account.name)
	return account.name


def get_receivable_parent(company: str) -> str:
	"""The group holding the company's default receivable (Debtors): Accounts Receivable."""
	default_receivable = frappe.db.get_value("Company", company, "default_receivable_account")
	if default_receivable:
		parent = frappe.db.get_value("Account", default_receivable, "parent_account")
		if parent:
			return parent
	return (
		find_group_account(company, "Asset", "Accounts Receivable")
		or find_group_account(company, "Asset", "Current Assets")
		or find_group_account(company, "Asset")
	)


def get_liability_parent(company: str) -> str:
	return find_group_account(company, "Liability", "Current Liabilities") or find_group_account(
		company, "Liability"
	)


def get_expense_parent(company: str) -> str:
	return find_group_account(company, "Expense", "Indirect Expenses") or find_group_account(
		company, "Expense"
	)


def find_group_account(company: str, root_type: str, account_name: str | None = None) -> str | None:
	"""A group account of ``root_type`` named ``account_name``, or the root group when no name is given."""
	filters = {"company": company, "is_group": 1, "root_type": root_type}
	if account_name:
		filters["account_name"] = account_name
	else:
		filters["parent_account"] = ("is", "not set")
	return frappe.db.get_value("Account", filters, "name", order_by="lft asc")


# Uninstall steps
# ---------------


def get_created_accounts() -> list[str]:
	"""The accounts School Fees created (not ones it found and reused)."""
	return frappe.get_all(
		"DefaultValue", filters={"parent": "__default", "defkey": CREATED_ACCOUNT_KEY}, pluck="defvalue"
	)


def remove_created_accounts(accounts: list[str] | None = None) -> list[tuple[str, str]]:
	"""Delete the accounts install created (or those of ``accounts``), except the ones in use.

	An account with GL or Payment Ledger entries is kept: those entries are the school's books, and
	ERPNext refuses to delete such an account anyway. The Trial Balance and General Ledger keep showing
	it, and a reinstall finds and reuses it. An account another document still links to (a Journal
	Entry draft, a Mode of Payment, ...) is kept too. Returns the kept accounts with the reason."""
	accounts = get_created_accounts() if accounts is None else accounts
	companies = set(frappe.get_all("Account", filters={"name": ("in", accounts)}, pluck="company"))
	# The settings rows link these accounts and go away with the app; unlink them first.
	if companies:
		frappe.db.delete(
			COMPANY_SETTINGS_DOCTYPE, {"parent": SETTINGS_DOCTYPE, "company": ("in", list(companies))}
		)

	kept = []
	for account in accounts:
		frappe.defaults.clear_default(key=CREATED_ACCOUNT_KEY, value=account, parent="__default")
		if not frappe.db.exists("Account", account):
			continue
		if frappe.db.exists("GL Entry", {"account": account}) or frappe.db.exists(
			"Payment Ledger Entry", {"account": account}
		):
			kept.append((account, _("has ledger entries")))
			continue
		frappe.db.savepoint("school_fees_delete_account")
		try:
			frappe.delete_doc("Account", account, ignore_permissions=True)
		except frappe.LinkExistsError:
			frappe.db.rollback(save_point="school_fees_delete_account")
			frappe.clear_last_message()
			kept.append((account, _("is linked from other documents")))
	return kept


def remove_custom_fields():
	"""Delete customizations (accounting dimensions and any user-made ones) of the app's DocTypes."""
	doctypes = frappe.get_all("DocType", filters={"module": MODULE}, pluck="name")
	if not doctypes:
		return
	frappe.db.delete("Custom Field", {"dt": ("in", doctypes)})
	frappe.db.delete("Property Setter", {"doc_type": ("in", doctypes)})
	for doctype in doctypes:
		frappe.clear_cache(doctype=doctype)


def remove_erpnext_permissions():
	"""Delete the Custom DocPerm rows of :data:`ERPNEXT_PERMISSIONS`. A DocType whose permissions install
	customized goes back to its standard rows when what is left is exactly a copy of them (nobody
	changed its permissions since); otherwise the administrator's changes are kept."""
	for role, doctypes in ERPNEXT_PERMISSIONS.items():
		frappe.db.delete("Custom DocPerm", {"role": role, "parent": ("in", list(doctypes))})
	customized = frappe.get_all(
		"DefaultValue",
		filters={"parent": "__default", "defkey": CUSTOMIZED_PERMISSIONS_KEY},
		pluck="defvalue",
	)
	for doctype in customized:
		frappe.defaults.clear_default(key=CUSTOMIZED_PERMISSIONS_KEY, value=doctype, parent="__default")
		if permission_rows("Custom DocPerm", doctype) == permission_rows("DocPerm", doctype):
			reset_perms(doctype)
	for doctype in {doctype for doctypes in ERPNEXT_PERMISSIONS.values() for doctype in doctypes}:
		frappe.clear_cache(doctype=doctype)


def permission_rows(table: str, doctype: str) -> list[tuple]:
	"""A DocType's permission rules as comparable tuples (role, level, if owner, every right)."""
	fields = ["role", "permlevel", "if_owner", *rights]
	rows = frappe.get_all(table, filters={"parent": doctype}, fields=fields)
	return sorted(tuple(row[field] or 0 for field in fields) for row in rows)


def remove_roles():
	"""Unassign and delete the app's roles (users keep all their other roles); ERPNext's stay."""
	for role in ROLES:
		if role in SHARED_ROLES:
			continue
		if not frappe.db.exists("Role", role):
			continue
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		# force: the app's own DocPerm rows still name the role; Frappe deletes those DocTypes next.
		frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
	frappe.clear_cache()
