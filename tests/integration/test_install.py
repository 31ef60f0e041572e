"""Install hooks, per-company setup, and the demo school."""

import pytest
from factories import unique

import frappe
from frappe.utils import strip_html

from school_fees.setup import install

APP_ACCOUNTS = {
	"Student Fees Receivable": ("Asset", "Receivable", "Accounts Receivable"),
	"Student Deposits": ("Liability", "", "Current Liabilities"),
	"Fee Concessions": ("Expense", "", "Indirect Expenses"),
	"Fee Write-offs": ("Expense", "", "Indirect Expenses"),
}


def test_roles_exist_with_desk_access():
	for role in ("Fees Manager", "Fee Cashier", "Class Teacher", "Principal", "Trust Administrator"):
		assert frappe.db.get_value("Role", role, "desk_access") == 1, role


def assert_company_set_up(company: str):
	abbr = frappe.db.get_value("Company", company, "abbr")
	for account_name, (root_type, account_type, parent) in APP_ACCOUNTS.items():
		account = frappe.db.get_value(
			"Account",
			{"company": company, "account_name": account_name},
			["name", "root_type", "account_type", "parent_account", "is_group", "account_currency"],
			as_dict=True,
		)
		assert account, f"{account_name} missing in {company}"
		assert (account.root_type, account.account_type or "", account.is_group) == (
			root_type,
			account_type,
			0,
		)
		assert account.parent_account == f"{parent} - {abbr}"
		assert account.account_currency == frappe.db.get_value("Company", company, "default_currency")

	rows = frappe.get_all(
		"School Fees Company Settings",
		filters={"parent": "School Fees Settings", "company": company},
		fields=["*"],
	)
	assert len(rows) == 1
	row = rows[0]
	assert row.receivable_account == f"Student Fees Receivable - {abbr}"
	assert row.deposit_account == f"Student Deposits - {abbr}"
	assert row.concession_account == row.scholarship_account == row.cancelled_class_account
	assert row.concession_account == f"Fee Concessions - {abbr}"
	assert row.write_off_account == f"Fee Write-offs - {abbr}"
	assert row.income_account == frappe.db.get_value("Company", company, "default_income_account")
	assert row.cost_center == frappe.db.get_value("Company", company, "cost_center")


def test_test_company_was_set_up(company):
	assert_company_set_up(company)


def make_school():
	return frappe.get_doc(
		{
			"doctype": "Company",
			"company_name": unique("_Test Hook School"),
			"abbr": frappe.generate_hash(length=5).upper(),
			"default_currency": "INR",
			"country": "India",
			"chart_of_accounts": "Standard",
			"create_chart_of_accounts_based_on": "Standard Template",
		}
	).insert()


def test_new_company_is_set_up_by_the_hook():
	"""Creating a school sets it up: accounts, settings row, and a record of what install created."""
	company = make_school()
	assert_company_set_up(company.name)

	created = set(install.get_created_accounts())
	for account_name in APP_ACCOUNTS:
		assert f"{account_name} - {company.abbr}" in created

	# Idempotent: a later save (or migrate) creates nothing new and keeps the accountant's choices.
	settings_row = frappe.db.get_value("School Fees Company Settings", {"company": company.name})
	frappe.db.set_value("School Fees Company Settings", settings_row, "write_off_account", "")
	frappe.db.set_value(
		"School Fees Company Settings", settings_row, "concession_account", f"Write Off - {company.abbr}"
	)
	accounts_before = frappe.db.count("Account", {"company": company.name})
	company.reload().save()
	install.setup_company(company.name)
	assert frappe.db.count("Account", {"company": company.name}) == accounts_before
	assert frappe.db.count("School Fees Company Settings", {"company": company.name}) == 1
	row = frappe.db.get_value(
		"School Fees Company Settings",
		settings_row,
		["concession_account", "write_off_account"],
		as_dict=True,
	)
	assert row.concession_account == f"Write Off - {company.abbr}"
	assert row.write_off_account == f"Fee Write-offs - {company.abbr}"  # refilled


def test_company_hook_failure_warns_instead_of_blocking(company, monkeypatch):
	"""A chart that cannot take the accounts must not stop the company from being saved (nor migrate)."""

	def broken(*args, **kwargs):
		frappe.throw("no Accounts Receivable group")

	rows_before = frappe.db.count("School Fees Company Settings")
	frappe.db.delete("School Fees Company Settings", {"company": company})
	monkeypatch.setattr(install, "get_default_company_settings", broken)
	frappe.clear_messages()

	install.setup_company(frappe.get_doc("Company", company), "on_update")
	messages = [strip_html(entry.get("message", "")) for entry in frappe.get_message_log()]
	assert any(f"could not set up company {company}: no Accounts Receivable group" in m for m in messages)
	assert not any(m == "no Accounts Receivable group" for m in messages)

	echoed = []
	monkeypatch.setattr(install.click, "echo", echoed.append)
	install.setup_all_companies()
	assert any(company in line for line in echoed)
	assert frappe.db.count("School Fees Company Settings") == rows_before - 1

	with pytest.raises(frappe.ValidationError):
		install.setup_company(company)
	frappe.clear_messages()


def test_uninstall_removes_unused_accounts_and_keeps_posted_ones():
	"""Uninstall deletes what install created, except accounts that carry ledger entries."""
	company = make_school()
	abbr = company.abbr
	write_offs = f"Fee Write-offs - {abbr}"
	journal = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"company": company.name,
			"posting_date": "2026-06-01",
			"accounts": [
				{"account": write_offs, "debit_in_account_currency": 250, "cost_center": company.cost_center},
				{"account": company.default_cash_account, "credit_in_account_currency": 250},
			],
		}
	).insert()
	journal.submit()

	ours = [f"{name} - {abbr}" for name in APP_ACCOUNTS]
	kept = install.remove_created_accounts(ours)

	assert kept == [(write_offs, "has ledger entries")]
	assert frappe.get_all("Account", filters={"name": ("in", ours)}, pluck="name") == [write_offs]
	assert not set(ours) & set(install.get_created_accounts())
	assert not frappe.db.exists("School Fees Company Settings", {"company": company.name})
	assert frappe.db.exists("School Fees Company Settings", {"company": "_Test School"})

	# a reinstall finds the kept account and recreates the others
	install.setup_company(company.name)
	assert_company_set_up(company.name)
	assert write_offs not in install.get_created_accounts()


def test_setup_all_companies_is_idempotent(company):
	accounts = frappe.db.count("Account")
	rows = frappe.db.count("School Fees Company Settings")
	install.setup_all_companies()
	assert frappe.db.count("Account") == accounts
	assert frappe.db.count("School Fees Company Settings") == rows


def test_install_refuses_a_site_with_education():
	install.check_conflicting_apps(["frappe", "erpnext"])
	with pytest.raises(install.IncompatibleAppError) as info:
		install.check_conflicting_apps(["frappe", "erpnext", "education"])
	message = strip_html(str(info.value))
	assert "cannot be installed on a site that has the education app" in message
	assert "Fee Structure and Student" in message
	frappe.clear_messages()


def test_accounting_dimension_fields_use_erpnext_helper(monkeypatch):
	from erpnext.accounts.doctype.accounting_dimension import accounting_dimension

	from school_fees.ledger import posting

	called = []
	monkeypatch.setattr(posting, "create_accounting_dimensions_for_doctype", called.append)
	install.create_accounting_dimension_fields()
	assert called == ["Fee Invoice", "Payment Allocation", "Credit Note", "Deposit"]
	# ERPNext adds every future dimension to the same doctypes
	assert set(called) <= set(accounting_dimension.get_doctypes_with_dimensions())
	for doctype in called:
		meta = frappe.get_meta(doctype)
		assert meta.has_field("accounting_dimensions_section") and meta.has_field("dimension_col_break")


def test_existing_dimension_fields_are_on_the_vouchers():
	dimensions = frappe.get_all("Accounting Dimension", pluck="fieldname")
	for doctype in install.get_voucher_doctypes():
		for fieldname in dimensions:
			assert frappe.get_meta(doctype).has_field(fieldname), (doctype, fieldname)


def test_settings_exist_with_defaults():
	install.ensure_settings()
	assert frappe.db.get_single_value("School Fees Settings", "bulk_job_threshold") == 200


def test_student_unique_index_exists():
	indexes = frappe.db.sql(
		"show index from `tabStudent` where Key_name = 'unique_company_admission_no'", as_dict=True
	)
	assert [row.Column_name for row in indexes] == ["company", "admission_no"]
	assert all(row.Non_unique == 0 for row in indexes)


def test_workspace_lists_every_master():
	workspace = frappe.get_doc("Workspace", "School Fees")
	links = {row.link_to for row in workspace.links if row.type == "Link"}
	doctypes = set(frappe.get_all("DocType", filters={"module": "School Fees", "istable": 0}, pluck="name"))
	assert doctypes <= links


def test_demo_loads_twice_without_duplicates(capsys):
	"""The demo commits (it is meant to stay on the site); a second run adds nothing."""
	from school_fees import demo

	def snapshot():
		"""What the demo owns (scoped to its company: other tests may commit at the same time)."""
		company = {"company": demo.COMPANY}
		students = frappe.get_all("Student", filters=company, fields=["name", "customer"])
		customers = {row.customer for row in students}
		return {
			"students": len(students),
			"customers": len(customers),
			"customer records": frappe.db.count("Customer", {"name": ("in", list(customers))}),
			**{
				doctype: frappe.db.count(doctype, company)
				for doctype in ("Class Section", "Fee Structure", "Fee Group", "Fee Discount", "Account")
			},
			"fee heads": frappe.db.count("Fee Head Account", company),
		}

	demo.load()
	first = snapshot()
	capsys.readouterr()
	demo.load()
	assert "already loaded" in capsys.readouterr().out
	assert snapshot() == first

	assert first["students"] == demo.STUDENT_COUNT
	assert first["customers"] == first["customer records"] == demo.STUDENT_COUNT - len(demo.SIBLINGS)
	assert first["Class Section"] == 4
	assert first["fee heads"] == 5  # four fee heads and the late-fee head
	assert first["Fee Discount"] == 2
	[structure] = frappe.get_all(
		"Fee Structure", filters={"company": demo.COMPANY, "docstatus": 1}, fields=["name", "total_amount"]
	)
	assert frappe.db.count("Fee Structure Installment", {"parent": structure.name}) == demo.INSTALLMENT_COUNT
	assert structure.total_amount == sum(amount for _account, amount in demo.FEE_HEADS.values())
	assert frappe.get_all("Fee Group", filters={"fee_structure": structure.name}, pluck="name")
	assert_company_set_up(demo.COMPANY)


def test_migrate_allows_repost_of_every_fee_voucher():
	install.after_migrate()
	allowed = frappe.get_all(
		"Repost Allowed Types",
		filters={"parent": "Repost Accounting Ledger Settings", "allowed": 1},
		pluck="document_type",
	)
	for doctype in ("Fee Invoice", "Payment Allocation", "Credit Note", "Deposit"):
		assert allowed.count(doctype) == 1, doctype
