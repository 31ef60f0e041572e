"""What the desk needs from the server, checked as the users who work in it: a Fee Cashier records
receipts and deposits (and nothing more), a Fees Manager opens the audit log, numbers are never
reused, each allocation type has its own series and print, every amount shows in the school's
currency, new vouchers are dated today, a Billing Run offers its structure's installments, and the
Fee Invoice list shows amounts and filters."""

import re

import pytest
from factories import (
	make_billing_run,
	make_credit_note,
	make_deposit,
	make_fee_discount,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_generated_invoices,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D, accounts, gl_rows, invoice_state, remaining

import frappe
from frappe.desk.search import search_link
from frappe.utils import nowdate
from frappe.utils.user import UserPermissions

from school_fees.accounts import get_mode_of_payment_account
from school_fees.school_fees.doctype.billing_run.billing_run import (
	BillingRunValidationError,
	get_installment_options,
)
from school_fees.setup import install

CASH_FILTERS = {"is_group": 0, "account_type": ["in", ["Bank", "Cash"]]}


@pytest.fixture
def student(company):
	return make_student(company)


@pytest.fixture
def cashier():
	return make_user("Fee Cashier", first_name="Cashier")


@pytest.fixture
def manager():
	return make_user("Fees Manager", first_name="Manager")


def issued_invoice(company, student, amount, posting_date="2027-04-01"):
	head = make_fee_head(company=company).name
	return make_fee_invoice(
		company, student.name, items=[(head, amount)], posting_date=posting_date, submit=True
	)


def found(results) -> list[str]:
	return [row["value"] for row in results]


# ---------------------------------------------------------------- 1. the cashier's rights


def test_cashier_can_pick_everything_a_receipt_links_to(company, student, cashier):
	"""The link searches and link checks the Payment Allocation and Deposit forms make, as the
	cashier: "You do not have Read or Select Permissions for Customer" (also Company, Account) was
	what the desk answered."""
	inv = issued_invoice(company, student, 500)
	cash = get_mode_of_payment_account("Cash", company)
	cost_center = accounts(company).cost_center
	frappe.set_user(cashier)

	accounts_found = found(search_link("Account", "", filters={"company": company, **CASH_FILTERS}))
	assert cash in accounts_found
	# only the school's cash and bank accounts are offered for Paid To
	assert {frappe.db.get_value("Account", name, "account_type") for name in accounts_found} <= {
		"Bank",
		"Cash",
	}
	assert {frappe.db.get_value("Account", name, "company") for name in accounts_found} == {company}

	assert student.customer in found(search_link("Customer", student.customer))
	assert company in found(search_link("Company", company))
	assert "Cash" in found(search_link("Mode of Payment", "Cash"))
	assert cost_center in found(search_link("Cost Center", cost_center, filters={"company": company}))
	assert student.name in found(search_link("Student", student.name, filters={"company": company}))
	invoices = found(search_link("Fee Invoice", "", filters={"customer": student.customer, "docstatus": 1}))
	assert invoices == [inv.name]

	# the check a link field makes when a value is typed, and the value it fetches from it
	from frappe.client import validate_link

	assert validate_link("Customer", student.customer)["name"] == student.customer
	assert validate_link("Company", company, ["default_currency"]) == {
		"name": company,
		"default_currency": "INR",
	}
	assert validate_link("Account", cash)["name"] == cash
	assert validate_link("Currency", "INR")["name"] == "INR"  # the form fills in the school's currency
	assert frappe.get_list("Customer", filters={"name": student.customer}, pluck="name") == [student.customer]


def test_cashier_records_a_receipt_end_to_end(company, student, cashier):
	inv = issued_invoice(company, student, 500)
	frappe.set_user(cashier)

	receipt = frappe.get_doc(
		{
			"doctype": "Payment Allocation",
			"allocation_type": "Receipt",
			"company": company,
			"student": student.name,
			"mode_of_payment": "Cash",
			"posting_date": "2027-04-05",
			"paid_amount": 300,
		}
	)
	receipt.insert()
	receipt.submit()

	assert receipt.owner == cashier
	assert receipt.customer == student.customer
	assert receipt.paid_to == get_mode_of_payment_account("Cash", company)
	assert [(row.fee_invoice, D(row.allocated_amount)) for row in receipt.allocations] == [(inv.name, D(300))]
	assert gl_rows("Payment Allocation", receipt.name) == sorted(
		[
			(receipt.paid_to, D(300), D(0), None, None, None),
			(accounts(company).receivable_account, D(0), D(300), student.customer, "Fee Invoice", inv.name),
		]
	)
	assert invoice_state(inv.name) == (D(200), D(300), "Partially Paid")


def test_cashier_records_a_deposit_end_to_end(company, student, cashier):
	frappe.set_user(cashier)
	deposit = make_deposit(company, student.name, amount=750, posting_date="2027-04-02")

	assert deposit.owner == cashier and deposit.docstatus == 1
	settings = accounts(company)
	assert gl_rows("Deposit", deposit.name) == sorted(
		[
			(deposit.paid_to, D(750), D(0), None, None, None),
			(settings.deposit_account, D(0), D(750), student.customer, "Deposit", deposit.name),
		]
	)
	assert remaining("Deposit", deposit.name) == D(750)


def test_cashier_cannot_cancel_a_receipt(company, student, cashier):
	issued_invoice(company, student, 500)
	frappe.set_user(cashier)
	receipt = make_payment_allocation(company, student.customer, paid_amount=500)

	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Payment Allocation", receipt.name).cancel()
	assert frappe.db.get_value("Payment Allocation", receipt.name, "docstatus") == 1


def test_cashier_cannot_issue_a_credit_note(company, student, cashier):
	frappe.set_user(cashier)
	assert not frappe.has_permission("Credit Note", "create")
	assert not frappe.has_permission("Credit Note", "submit")
	with pytest.raises(frappe.PermissionError):
		make_credit_note(company, student.name, amount=100)
	frappe.set_user("Administrator")
	assert not frappe.db.exists("Credit Note", {"student": student.name})


def test_cashier_edits_no_master(company, student, cashier):
	"""Select and read on what the forms link to, nothing more; no ledger or sales documents."""
	frappe.set_user(cashier)
	for doctype in install.FORM_LINKS:
		assert frappe.has_permission(doctype, "read"), doctype
		for ptype in ("write", "create", "delete"):
			assert not frappe.has_permission(doctype, ptype), (doctype, ptype)
	for doctype in ("Student", "Fee Structure", "Fee Head", "Fee Discount", "Fee Group", "Fee Invoice"):
		assert frappe.has_permission(doctype, "read"), doctype
		assert not frappe.has_permission(doctype, "write"), doctype
	for doctype in ("Sales Invoice", "Payment Entry", "Journal Entry", "GL Entry", "Fee Audit Log"):
		assert not frappe.has_permission(doctype, "read"), doctype

	customer = frappe.get_doc("Customer", student.customer)
	customer.customer_name = "Renamed by a cashier"
	with pytest.raises(frappe.PermissionError):
		customer.save()
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc("Student", student.name).save()


def test_install_grants_the_rights_and_uninstall_takes_them_back(cashier):
	"""The Custom DocPerm rows exist after migrate; removing them puts a DocType that install
	customized back on its standard rows; adding them again is idempotent."""
	rows = {"role": "Fee Cashier", "parent": ("in", list(install.FORM_LINKS))}
	assert sorted(frappe.get_all("Custom DocPerm", filters=rows, pluck="parent")) == sorted(
		install.FORM_LINKS
	)
	assert all(
		row.select and row.read and not (row.write or row.create or row.delete or row.submit or row.cancel)
		for row in frappe.get_all("Custom DocPerm", filters=rows, fields=["*"])
	)
	customized = frappe.get_all(
		"DefaultValue", filters={"defkey": install.CUSTOMIZED_PERMISSIONS_KEY}, pluck="defvalue"
	)
	try:
		install.remove_erpnext_permissions()
		assert not frappe.get_all(
			"Custom DocPerm", filters={"role": ("in", list(install.ERPNEXT_PERMISSIONS))}
		)
		for doctype in customized:
			assert not frappe.db.exists("Custom DocPerm", {"parent": doctype}), doctype

		install.add_erpnext_permissions()
		install.add_erpnext_permissions()
		assert frappe.db.count("Custom DocPerm", rows) == len(install.FORM_LINKS)
		for doctype in install.FORM_LINKS:
			assert install.permission_rows("Custom DocPerm", doctype) == sorted(
				install.permission_rows("DocPerm", doctype)
				+ [
					row
					for row in install.permission_rows("Custom DocPerm", doctype)
					if row[0] in install.ERPNEXT_PERMISSIONS
				]
			)
	finally:
		frappe.db.rollback()
		for doctype in install.FORM_LINKS:
			frappe.clear_cache(doctype=doctype)


# ---------------------------------------------------------------- 2. the audit log opens


def test_fees_manager_opens_the_fee_audit_log(company, manager, cashier):
	"""/app/fee-audit-log answered "Page not found": the DocType was "read only" ("User Cannot
	Search"), which keeps it out of the list of DocTypes the desk routes to."""
	inv = make_fee_invoice(company)
	frappe.set_user(cashier)
	assert "Fee Audit Log" not in UserPermissions(cashier).get_can_read()

	frappe.set_user(manager)
	assert "Fee Audit Log" in UserPermissions(manager).get_can_read()  # what the desk routes to
	assert frappe.has_permission("Fee Audit Log", "read")
	assert not frappe.has_permission("Fee Audit Log", "create")
	rows = frappe.get_list(
		"Fee Audit Log", filters={"reference_name": inv.name}, fields=["action", "to_status"]
	)
	assert [(row.action, row.to_status) for row in rows] == [("Created", "Draft")]


# ---------------------------------------------------------------- 3. a number names one document


def audit_actions(name: str) -> list[str]:
	return frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": "Fee Invoice", "reference_name": name},
		pluck="action",
		order_by="timestamp asc, creation asc",
	)


def test_a_deleted_draft_number_is_never_given_again(company, student):
	deleted = make_fee_invoice(company, student.name).name
	frappe.delete_doc("Fee Invoice", deleted)
	assert not frappe.db.exists("Fee Invoice", deleted)

	following = make_fee_invoice(company, student.name)
	assert following.name != deleted
	assert int(following.name.rsplit("-", 1)[1]) == int(deleted.rsplit("-", 1)[1]) + 1
	assert audit_actions(deleted) == ["Created", "Deleted"]
	assert audit_actions(following.name) == ["Created"]


def test_every_voucher_keeps_a_deleted_draft_number(company, student):
	"""The rule lives in the voucher base class: a draft Deposit's number is not given again either."""
	deleted = make_deposit(company, student.name, submit=False).name
	frappe.delete_doc("Deposit", deleted)
	following = make_deposit(company, student.name, submit=False).name
	assert int(following.rsplit("-", 1)[1]) == int(deleted.rsplit("-", 1)[1]) + 1


def test_deleting_an_older_draft_leaves_the_series_alone(company, student):
	first = make_fee_invoice(company, student.name).name
	second = make_fee_invoice(company, student.name).name
	frappe.delete_doc("Fee Invoice", first)
	third = make_fee_invoice(company, student.name).name
	assert int(third.rsplit("-", 1)[1]) == int(second.rsplit("-", 1)[1]) + 1


# ---------------------------------------------------------------- 4. series and print per type


def test_each_allocation_type_has_its_own_series(company, student):
	year = frappe.utils.now_datetime().year
	issued_invoice(company, student, 100)
	receipt = make_payment_allocation(company, student.customer, paid_amount=300)
	issued_invoice(company, student, 150)
	applied_credit = make_payment_allocation(
		company,
		student.customer,
		"Apply Credit",
		source_doctype="Payment Allocation",
		source_name=receipt.name,
	)
	deposit = make_deposit(company, student.name, amount=1000)
	issued_invoice(company, student, 200)
	applied_deposit = make_payment_allocation(
		company, student.customer, "Apply Deposit", source_doctype="Deposit", source_name=deposit.name
	)
	moved = make_payment_allocation(
		company,
		student.customer,
		"Deposit to Credit",
		paid_amount=300,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	refund = make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=100,
		source_doctype="Deposit",
		source_name=deposit.name,
	)

	prefixes = {
		doc.allocation_type: re.sub(r"\d{5}$", "", doc.name)
		for doc in (receipt, applied_credit, applied_deposit, moved, refund)
	}
	assert prefixes == {
		"Receipt": f"RCPT-{year}-",
		"Apply Credit": f"CDAP-{year}-",
		"Apply Deposit": f"DPAP-{year}-",
		"Deposit to Credit": f"DTC-{year}-",
		"Refund": f"RFND-{year}-",
	}
	# the desk offers every series (also on a site that had allocations before they existed)
	options = frappe.get_meta("Payment Allocation").get_field("naming_series").options.split("\n")
	assert set(options) >= {f"{prefix}-.YYYY.-" for prefix in ("RCPT", "CDAP", "DPAP", "RFND", "DTC")}


def receipt_print(name: str) -> str:
	html = frappe.get_print("Payment Allocation", name, "Fee Receipt")
	return re.sub(r"\s+", " ", html)


def test_receipt_prints_as_a_receipt_with_the_students_name(company, student):
	inv = issued_invoice(company, student, 400)
	receipt = make_payment_allocation(company, student.customer, paid_amount=500, student=student.name)
	html = receipt_print(receipt.name)

	assert "Fee Receipt" in html
	assert "Receipt No" in html and "Voucher No" not in html
	assert "Received From" in html
	assert "Total Settled" in html
	assert inv.name in html
	assert student.student_name in html
	assert student.name not in html  # the student's ID (STU-...) is not what a parent reads
	assert "₹ 500.00" in html and "₹ 100.00" in html  # paid, and kept as credit


def test_refund_prints_as_a_refund_voucher(company, student):
	deposit = make_deposit(company, student.name, amount=1000)
	refund = make_payment_allocation(
		company,
		student.customer,
		"Refund",
		paid_amount=250,
		student=student.name,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	html = receipt_print(refund.name)

	assert "Refund Voucher" in html
	assert "Voucher No" in html and "Receipt No" not in html
	assert "Received From" not in html and "Paid To" in html
	assert "Total Settled" not in html  # a refund settles no invoice
	assert "₹ 250.00" in html
	assert student.student_name in html and student.name not in html


def test_deposit_to_credit_prints_without_a_total_settled(company, student):
	deposit = make_deposit(company, student.name, amount=1000)
	moved = make_payment_allocation(
		company,
		student.customer,
		"Deposit to Credit",
		paid_amount=400,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	html = receipt_print(moved.name)
	assert "Deposit Moved to Credit" in html and "Voucher No" in html
	assert "Total Settled" not in html
	assert "Credit still open" in html


# ---------------------------------------------------------------- 5. the school's currency


@pytest.fixture
def usd_site_default(monkeypatch):
	"""The site's default currency is USD (as on the site the issue was found on), whatever it is here."""
	get_default = frappe.db.get_default
	monkeypatch.setattr(
		frappe.db,
		"get_default",
		lambda key, *args, **kw: "USD" if key == "currency" else get_default(key, *args, **kw),
	)
	assert frappe.db.get_default("currency") == "USD"


def test_invoice_print_with_an_amount_discount_is_in_rupees(company, usd_site_default):
	assert frappe.db.get_value("Company", company, "default_currency") == "INR"
	head = make_fee_head(company=company).name
	structure = make_fee_structure(
		company, components={head: 4800}, installments=[("Term 1", "2026-04-01", "2026-04-15", 100)]
	)
	discount = make_fee_discount("Amount", 300, company=company)
	student = make_student(company, discounts=[discount.name])
	[inv] = make_generated_invoices(student.name, structure.name, installment="Term 1")
	assert [(row.discount_type, D(row.value)) for row in inv.discounts] == [("Amount", D(300))]
	assert inv.currency == "INR"

	html = frappe.get_print("Fee Invoice", inv.name, "Fee Invoice")
	assert "$" not in html
	assert "₹ 300.00" in html  # the discount rule column
	assert "₹ 4,500.00" in html  # grand total


def test_billing_run_total_is_in_the_schools_currency(company, student, usd_site_default):
	structure = make_fee_structure(company)
	run = make_billing_run(company, structure.name, students=[student.name])
	assert run.currency == "INR"
	run.db_set("total_amount", 3000)
	assert run.get_formatted("total_amount") == "₹ 3,000.00"

	# a run saved before it had a currency still shows its school's
	run.db_set("currency", None)
	loaded = frappe.get_doc("Billing Run", run.name)
	loaded.run_method("onload")
	assert loaded.get_formatted("total_amount") == "₹ 3,000.00"


def test_every_currency_field_of_the_fee_doctypes_names_its_currency():
	missing = []
	for doctype in frappe.get_all("DocType", filters={"module": "School Fees"}, pluck="name"):
		meta = frappe.get_meta(doctype)
		for df in meta.get("fields", {"fieldtype": "Currency"}):
			holder = meta
			if meta.istable:
				parents = frappe.get_all(
					"DocField", filters={"fieldtype": "Table", "options": doctype}, pluck="parent"
				)
				holder = frappe.get_meta(parents[0]) if parents else meta
			currency = holder.get_field(df.options) if df.options else None
			if not (currency and currency.fieldtype == "Link" and currency.options == "Currency"):
				missing.append(f"{doctype}.{df.fieldname}")
	assert missing == []


def test_every_fee_document_takes_its_schools_currency(company, student, usd_site_default):
	inv = make_fee_invoice(company, student.name)
	note = make_credit_note(company, student.name, amount=100)
	deposit = make_deposit(company, student.name, amount=100)
	structure = make_fee_structure(company)
	assert [doc.currency for doc in (inv, note, deposit, structure)] == ["INR"] * 4


# ---------------------------------------------------------------- 6. new vouchers are dated today


@pytest.mark.parametrize("doctype", ["Deposit", "Payment Allocation", "Credit Note"])
def test_a_new_voucher_is_dated_today(doctype):
	assert str(frappe.new_doc(doctype).posting_date) == nowdate()


# ---------------------------------------------------------------- 7. installments offered


def test_billing_run_offers_the_structures_installments(company, manager):
	structure = make_fee_structure(
		company,
		installments=[
			("Term 1", "2026-04-01", "2026-04-20", 40),
			("Term 2", "2026-09-01", "2026-09-20", 60),
		],
	)
	assert frappe.get_meta("Billing Run").get_field("installment").fieldtype == "Autocomplete"

	frappe.set_user(manager)
	options = get_installment_options(structure.name)
	assert [option["value"] for option in options] == ["Term 1", "Term 2"]
	assert frappe.format("2026-04-20", "Date") in options[0]["description"]

	frappe.set_user("Administrator")
	with pytest.raises(BillingRunValidationError):
		make_billing_run(company, structure.name, students=[make_student(company).name], installment="Term 9")


def test_installments_need_read_on_the_structure(company):
	structure = make_fee_structure(company)
	frappe.set_user(make_user())  # a desk user without a fees role
	with pytest.raises(frappe.PermissionError):
		get_installment_options(structure.name)


# ---------------------------------------------------------------- 8. the Fee Invoice list


def test_fee_invoice_list_shows_amounts_and_filters():
	meta = frappe.get_meta("Fee Invoice")
	in_list = [
		df.fieldname
		for df in meta.fields
		if df.in_list_view and df.fieldname not in (meta.title_field, "status")
	]
	# the list shows 6 columns on a usual screen: title, tags, status and the first three of these
	assert in_list[:3] == ["due_date", "grand_total", "outstanding_amount"]
	filters = {df.fieldname for df in meta.fields if df.in_standard_filter}
	assert filters >= {"fee_group", "posting_date", "due_date", "status", "student"}


def test_report_view_id_column_shows_the_invoice_number():
	"""The report view's ID column is a link formatted with the title when the DocType shows its
	title in links: it showed the student's name. The list keeps the name as its title."""
	from frappe.boot import get_link_title_doctypes

	assert "Fee Invoice" not in get_link_title_doctypes()
	assert frappe.get_meta("Fee Invoice").title_field == "student_name"
