"""Fee Ledger Reconciliation, Trust Rollup and the School Fees workspace on the real site.

The reconciliation reads 0 after every kind of voucher for a customer the test creates, and a broken
ledger (a Journal Entry on the fee receivable or the deposit account without a fee document, a
voucher whose Payment Ledger rows went missing) shows its difference with the voucher that explains
it. The trust rollup is checked per school on a trust of two schools ("_Test Trust"), created once
and committed like the other shared test companies.
"""

from decimal import Decimal

import pytest
from factories import (
	TRUST,
	TRUST_SCHOOLS,
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_payment_allocation,
	make_student,
	make_user,
	unique,
)
from payment_helpers import D, accounts, customer_receivable_gl, set_auto_apply_credit

import frappe
from frappe.desk.query_report import run as run_report
from frappe.utils import add_days, fmt_money, nowdate

from school_fees import number_cards
from school_fees.ledger.reconciliation import reconcile, schools_under
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice
from school_fees.school_fees.report.fee_ledger_reconciliation import fee_ledger_reconciliation
from school_fees.school_fees.report.trust_rollup import trust_rollup

RECONCILIATION = "Fee Ledger Reconciliation"
TRUST_ROLLUP = "Trust Rollup"
SCHOOL_A, SCHOOL_B = TRUST_SCHOOLS
REPORTS = (
	"Student Balances",
	"Credit Balance",
	"Deposit Balance",
	"Fee Invoice Register",
	"Fee Collection",
	"Fee Aging",
	"Trust Rollup",
	"Fee Ledger Reconciliation",
)


# ---------------------------------------------------------------- helpers


def reconciliation(company: str, customer: str | None = None, **filters) -> frappe._dict:
	columns, data, message, _chart, summary = fee_ledger_reconciliation.execute(
		{"company": company, "customer": customer, **filters}
	)
	cards = {card["label"]: card for card in summary}
	return frappe._dict(
		rows=[row for row in data if not row["indent"]],
		explanations=[row for row in data if row["indent"]],
		message=message,
		cards=cards,
		columns=[column["fieldname"] for column in columns],
	)


def customer_row(report: frappe._dict, customer: str) -> dict:
	(row,) = [row for row in report.rows if row["customer"] == customer]
	return row


def assert_reconciles(company: str, customer: str, outstanding, credit, deposits) -> None:
	"""The customer's row: the documents as expected, equal to GL, difference 0, no explanations."""
	report = reconciliation(company, customer)
	row = customer_row(report, customer)
	expected = {
		"invoice_outstanding": D(outstanding),
		"open_credit": D(credit),
		"documents_balance": D(outstanding) - D(credit),
		"gl_balance": D(outstanding) - D(credit),
		"deposits_held": D(deposits),
		"deposit_gl_balance": D(deposits),
		"difference": D(0),
	}
	assert {field: D(row[field]) for field in expected} == expected
	assert customer_receivable_gl(company, customer) == D(outstanding) - D(credit)
	assert report.explanations == []
	assert D(report.cards["Difference"]["value"]) == D(0)
	assert report.cards["Difference"]["indicator"] == "Green"
	assert report.cards["Customers Not Reconciled"]["value"] == 0
	assert report.message is None


def journal_entry(company: str, rows: list[dict], posting_date: str = "2027-04-03"):
	je = frappe.get_doc(
		{"doctype": "Journal Entry", "company": company, "posting_date": posting_date, "accounts": rows}
	)
	je.insert()
	je.submit()
	return je


def payment_entry(company: str, customer: str, amount: float, posting_date: str = "2027-04-02"):
	pe = frappe.get_doc(
		{
			"doctype": "Payment Entry",
			"payment_type": "Receive",
			"company": company,
			"posting_date": posting_date,
			"mode_of_payment": "Cash",
			"party_type": "Customer",
			"party": customer,
			"paid_from": accounts(company).receivable_account,
			"paid_to": cash_account(company),
			"paid_amount": amount,
			"received_amount": amount,
			"source_exchange_rate": 1,
			"target_exchange_rate": 1,
			"reference_no": unique("PE"),
			"reference_date": posting_date,
		}
	)
	pe.insert()
	pe.submit()
	return pe


def cash_account(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_cash_account")


def income_account(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_income_account")


def cost_center(company: str) -> str:
	return frappe.get_cached_value("Company", company, "cost_center")


def invoice(company, student, amount, posting_date="2026-06-01", due_date=None, **kwargs):
	return make_fee_invoice(
		company,
		student.name,
		items=[(make_fee_head(company=company).name, amount)],
		posting_date=posting_date,
		due_date=due_date or posting_date,
		submit=True,
		**kwargs,
	)


# ---------------------------------------------------------------- reconciliation


@pytest.fixture
def student(company):
	set_auto_apply_credit(False)
	return make_student(company)


def test_reconciles_after_every_kind_of_voucher(company, student):
	customer = student.customer

	first = invoice(company, student, 1000)
	second = invoice(company, student, 600, posting_date="2026-07-01")
	assert_reconciles(company, customer, outstanding=1600, credit=0, deposits=0)

	# a receipt with a remainder: 1,000 settles the first invoice, 200 stays as credit
	receipt = make_payment_allocation(company, customer, paid_amount=1200, allocations=[(first.name, 1000)])
	assert_reconciles(company, customer, outstanding=600, credit=200, deposits=0)

	note = make_credit_note(company, student.name, amount=150)
	assert_reconciles(company, customer, outstanding=600, credit=350, deposits=0)

	make_payment_allocation(
		company,
		customer,
		"Apply Credit",
		source_doctype="Credit Note",
		source_name=note.name,
		allocations=[(second.name, 150)],
	)
	assert_reconciles(company, customer, outstanding=450, credit=200, deposits=0)

	deposit = make_deposit(company, student.name, amount=500)
	assert_reconciles(company, customer, outstanding=450, credit=200, deposits=500)

	make_payment_allocation(
		company,
		customer,
		"Apply Deposit",
		source_doctype="Deposit",
		source_name=deposit.name,
		allocations=[(second.name, 300)],
	)
	assert_reconciles(company, customer, outstanding=150, credit=200, deposits=200)

	make_payment_allocation(
		company,
		customer,
		"Deposit to Credit",
		paid_amount=100,
		source_doctype="Deposit",
		source_name=deposit.name,
	)
	assert_reconciles(company, customer, outstanding=150, credit=300, deposits=100)

	make_payment_allocation(
		company,
		customer,
		"Refund",
		paid_amount=200,
		source_doctype="Payment Allocation",
		source_name=receipt.name,
	)
	assert_reconciles(company, customer, outstanding=150, credit=100, deposits=100)

	deposit_refund = make_payment_allocation(
		company, customer, "Refund", paid_amount=100, source_doctype="Deposit", source_name=deposit.name
	)
	assert_reconciles(company, customer, outstanding=150, credit=100, deposits=0)

	# an ERPNext Payment Entry advance on the fee receivable is open credit, and applying it is too
	advance = payment_entry(company, customer, 80)
	assert_reconciles(company, customer, outstanding=150, credit=180, deposits=0)
	make_payment_allocation(
		company,
		customer,
		"Apply Credit",
		source_doctype="Payment Entry",
		source_name=advance.name,
		allocations=[(second.name, 80)],
	)
	assert_reconciles(company, customer, outstanding=70, credit=100, deposits=0)

	# cancellations: a refund and an invoice
	deposit_refund.cancel()
	assert_reconciles(company, customer, outstanding=70, credit=100, deposits=100)
	third = invoice(company, student, 400, posting_date="2026-08-01")
	assert_reconciles(company, customer, outstanding=470, credit=100, deposits=100)
	cancel_fee_invoice(third.name, "Charged to the wrong student by mistake")
	assert_reconciles(company, customer, outstanding=70, credit=100, deposits=100)

	# as of a date before the receipt (2027-04-05) only the invoices count
	report = reconciliation(company, customer, as_of_date="2027-01-01")
	row = customer_row(report, customer)
	assert (D(row["invoice_outstanding"]), D(row["gl_balance"]), D(row["difference"])) == (
		D(1600),
		D(1600),
		D(0),
	)


def test_a_journal_entry_without_a_fee_document_shows_a_difference_naming_it(company, student):
	customer = student.customer
	invoice(company, student, 1000)
	deposit = make_deposit(company, student.name, amount=300)
	settings = accounts(company)

	# a debit on the fee receivable that belongs to no fee invoice
	debit = journal_entry(
		company,
		[
			{
				"account": settings.receivable_account,
				"party_type": "Customer",
				"party": customer,
				"debit_in_account_currency": 75,
			},
			{
				"account": income_account(company),
				"cost_center": cost_center(company),
				"credit_in_account_currency": 75,
			},
		],
	)
	# money put on the deposit account for the customer without a Deposit
	held = journal_entry(
		company,
		[
			{"account": cash_account(company), "debit_in_account_currency": 40},
			{
				"account": settings.deposit_account,
				"party_type": "Customer",
				"party": customer,
				"credit_in_account_currency": 40,
			},
		],
	)

	report = reconciliation(company, customer)
	row = customer_row(report, customer)
	assert (D(row["documents_balance"]), D(row["gl_balance"])) == (D(1000), D(1075))
	assert (D(row["deposits_held"]), D(row["deposit_gl_balance"])) == (D(300), D(340))
	assert D(row["difference"]) == D(115)
	assert [
		(e["voucher_type"], e["voucher_no"], D(e["explained_amount"]), e["explanation"])
		for e in report.explanations
	] == [
		(
			"Journal Entry",
			debit.name,
			D(75),
			"Fee receivable: Debit on the fee receivable that no Fee Invoice carries",
		),
		("Journal Entry", held.name, D(40), "Deposits: Posted to the deposit account without a Deposit"),
	]
	assert all(e["customer"] == customer for e in report.explanations)
	assert D(report.cards["Difference"]["value"]) == D(115)
	assert report.cards["Difference"]["indicator"] == "Red"
	assert report.cards["Customers Not Reconciled"]["value"] == 1
	assert "1 of 1 customers do not reconcile" in report.message
	assert deposit.name not in {e["voucher_no"] for e in report.explanations}

	only = reconciliation(company, customer, differences_only=1)
	assert [r["customer"] for r in only.rows] == [customer]


def test_payment_ledger_rows_gone_missing_are_named(company, student):
	customer = student.customer
	inv = invoice(company, student, 500)
	assert_reconciles(company, customer, outstanding=500, credit=0, deposits=0)

	# tamper: the invoice's Payment Ledger row disappears (GL keeps it)
	frappe.db.set_value(
		"Payment Ledger Entry", {"voucher_type": "Fee Invoice", "voucher_no": inv.name}, "delinked", 1
	)
	report = reconciliation(company, customer)
	row = customer_row(report, customer)
	assert (D(row["invoice_outstanding"]), D(row["gl_balance"]), D(row["difference"])) == (
		D(0),
		D(500),
		D(500),
	)
	assert [(e["voucher_type"], e["voucher_no"], D(e["explained_amount"])) for e in report.explanations] == [
		("Fee Invoice", inv.name, D(500))
	]
	assert "GL Entry and Payment Ledger Entry" in report.explanations[0]["explanation"]


def test_an_invoice_credited_beyond_its_amount_is_named(company, student):
	"""A credit moved onto an invoice beyond what it owes (as ERPNext's Payment Reconciliation can move
	Payment Ledger rows): the invoice's negative balance is the difference, with its sign."""
	customer = student.customer
	inv = invoice(company, student, 300)
	advance = journal_entry(
		company,
		[
			{"account": cash_account(company), "debit_in_account_currency": 500},
			{
				"account": accounts(company).receivable_account,
				"party_type": "Customer",
				"party": customer,
				"credit_in_account_currency": 500,
			},
		],
	)
	assert_reconciles(company, customer, outstanding=300, credit=500, deposits=0)

	frappe.db.set_value(
		"Payment Ledger Entry",
		{"voucher_type": "Journal Entry", "voucher_no": advance.name},
		{"against_voucher_type": "Fee Invoice", "against_voucher_no": inv.name},
	)
	(row,) = reconcile([company], parties=[customer])
	assert (row.invoice_outstanding, row.open_credit, row.gl_balance, row.receivable_difference) == (
		D(0),
		D(0),
		D(-200),
		D(-200),
	)
	report = reconciliation(company, customer)
	assert [
		(e["voucher_type"], e["voucher_no"], D(e["explained_amount"]), e["explanation"])
		for e in report.explanations
	] == [("Fee Invoice", inv.name, D(-200), "Fee receivable: Fee Invoice credited beyond its amount")]
	assert D(customer_row(report, customer)["difference"]) == D(200)


def test_reconciliation_refuses_a_user_without_the_school(company):
	other = frappe.get_all("Company", filters={"name": ("!=", company), "is_group": 0}, pluck="name")[0]
	user = make_user("Fees Manager")
	frappe.permissions.add_user_permission("Company", other, user)
	frappe.set_user(user)
	with pytest.raises(frappe.PermissionError):
		fee_ledger_reconciliation.execute({"company": company})


# ---------------------------------------------------------------- trust rollup


@pytest.fixture
def trust_books(trust):
	"""School A: 1,000 due in May (400 paid in June: 600 overdue) and 500 due in 2030 (100 paid
	today, after the window); School B: 2,000 paid in full, and a cancelled invoice."""
	set_auto_apply_credit(False)
	a, b = make_student(SCHOOL_A), make_student(SCHOOL_B)
	a1 = invoice(SCHOOL_A, a, 1000, posting_date="2026-05-01", due_date="2026-05-15")
	a2 = invoice(SCHOOL_A, a, 500, posting_date="2026-06-01", due_date="2030-06-30")
	make_payment_allocation(
		SCHOOL_A, a.customer, paid_amount=400, posting_date="2026-06-10", allocations=[(a1.name, 400)]
	)
	make_payment_allocation(
		SCHOOL_A, a.customer, paid_amount=100, posting_date=nowdate(), allocations=[(a2.name, 100)]
	)
	b1 = invoice(SCHOOL_B, b, 2000, posting_date="2026-05-01", due_date="2026-05-10")
	make_payment_allocation(
		SCHOOL_B, b.customer, paid_amount=2000, posting_date="2026-05-05", allocations=[(b1.name, 2000)]
	)
	cancel_fee_invoice(
		invoice(SCHOOL_B, b, 700, posting_date="2026-05-02").name, "Issued twice for the same month"
	)
	return frappe._dict(a=a, b=b)


def rollup(company=TRUST, **filters):
	filters = {"company": company, "from_date": "2026-04-01", "to_date": "2026-10-31", **filters}
	columns, data, _message, chart, summary = trust_rollup.execute(filters)
	return frappe._dict(
		rows={row["company"]: row for row in data},
		order=[row["company"] for row in data],
		chart=chart,
		cards={card["label"]: card for card in summary or []},
		columns=[column["fieldname"] for column in columns],
	)


def figures(row) -> tuple:
	return (
		row["students"],
		row["invoices"],
		D(row["billed"]),
		D(row["collected"]),
		D(row["outstanding"]),
		D(row["overdue"]),
		row["overdue_invoices"],
		D(row["collection_rate"]),
	)


def test_trust_rollup_one_row_per_school(trust_books):
	assert schools_under(TRUST) == [SCHOOL_A, SCHOOL_B]
	report = rollup()
	assert report.order == [SCHOOL_A, SCHOOL_B]
	assert figures(report.rows[SCHOOL_A]) == (1, 2, D(1500), D(400), D(1100), D(600), 1, D("26.67"))
	assert figures(report.rows[SCHOOL_B]) == (1, 1, D(2000), D(2000), D(0), D(0), 0, D(100))
	assert {"billed", "collected", "outstanding", "overdue", "collection_rate"} <= set(report.columns)

	cards = {label: D(card["value"]) for label, card in report.cards.items()}
	assert cards == {
		"Billed": D(3500),
		"Collected": D(2400),
		"Outstanding": D(1100),
		"Overdue": D(600),
		"Collection Rate": D("68.57"),
	}
	assert report.chart["data"]["labels"] == [SCHOOL_A, SCHOOL_B]
	assert [dataset["values"] for dataset in report.chart["data"]["datasets"]] == [
		[1500, 2000],
		[400, 2000],
		[1100, 0],
		[600, 0],
	]


def test_trust_rollup_window_and_single_school(trust_books):
	# to today: the payment made today counts; the window starts after School B's invoice
	today = rollup(from_date="2026-05-20", to_date=nowdate())
	assert figures(today.rows[SCHOOL_A])[:6] == (1, 1, D(500), D(100), D(400), D(0))
	assert figures(today.rows[SCHOOL_B])[:3] == (0, 0, D(0))

	school = rollup(SCHOOL_B)
	assert school.order == [SCHOOL_B]
	assert D(school.rows[SCHOOL_B]["billed"]) == D(2000)


def test_trust_rollup_by_academic_term_and_billed_this_term_card(trust_books):
	term = frappe.get_doc(
		{
			"doctype": "Academic Term",
			"term_name": unique("Current Term"),
			"academic_year": "current",
			"start_date": add_days(nowdate(), -30),
			"end_date": add_days(nowdate(), 60),
		}
	).insert()
	structure = make_fee_structure(SCHOOL_A, academic_term=term.name)
	invoice(SCHOOL_A, trust_books.a, 800, posting_date=add_days(nowdate(), -10), academic_term=term.name)
	invoice(SCHOOL_B, trust_books.b, 300, posting_date=add_days(nowdate(), -5), academic_term=term.name)

	report = rollup(academic_term=term.name, from_date=None, to_date=None)
	assert (D(report.rows[SCHOOL_A]["billed"]), D(report.rows[SCHOOL_B]["billed"])) == (D(800), D(300))

	assert frappe.db.get_value("Fee Structure", structure.name, "docstatus") == 1
	assert number_cards.get_billed_this_term({"company": TRUST}) == in_inr(1100)
	# School B has no fee structure in the term: the term is not "this term" for B alone
	assert number_cards.get_billed_this_term({"company": SCHOOL_B}) == in_inr(0)


def test_trust_rollup_permissions(trust_books):
	# a trust administrator with the trust sees both schools; with one school only, only that one
	admin = make_user("Trust Administrator")
	frappe.permissions.add_user_permission("Company", TRUST, admin)
	frappe.set_user(admin)
	result = run_report(
		TRUST_ROLLUP, filters={"company": TRUST, "from_date": "2026-04-01", "to_date": "2026-10-31"}
	)
	assert [row["company"] for row in result["result"][:-1]] == [SCHOOL_A, SCHOOL_B]  # then the total row

	frappe.set_user("Administrator")
	principal = make_user("Principal")
	frappe.permissions.add_user_permission("Company", SCHOOL_A, principal)
	frappe.set_user(principal)
	with pytest.raises(frappe.PermissionError):
		trust_rollup.execute({"company": TRUST})
	with pytest.raises(frappe.PermissionError):
		run_report(RECONCILIATION, filters={"company": SCHOOL_B})
	assert list(rollup(SCHOOL_A).rows) == [SCHOOL_A]

	# neither report is a cashier's or a class teacher's
	for role in ("Fee Cashier", "Class Teacher"):
		frappe.set_user("Administrator")
		frappe.set_user(make_user(role))
		for report in (TRUST_ROLLUP, RECONCILIATION):
			with pytest.raises(frappe.PermissionError):
				run_report(report, filters={"company": SCHOOL_A})


def test_trust_reconciles_per_school(trust_books):
	report = reconciliation(TRUST)
	by_customer = {row["customer"]: row for row in report.rows}
	assert by_customer[trust_books.a.customer]["company"] == SCHOOL_A
	assert D(by_customer[trust_books.a.customer]["documents_balance"]) == D(1000)
	assert by_customer[trust_books.b.customer]["company"] == SCHOOL_B
	assert D(report.cards["Difference"]["value"]) == D(0)


# ---------------------------------------------------------------- workspace


def test_workspace_links_every_report_and_shows_the_cards_and_chart():
	workspace = frappe.get_doc("Workspace", "School Fees")
	links = [link.link_to for link in workspace.links if link.type == "Link" and link.link_type == "Report"]
	assert links == list(REPORTS)
	assert all(frappe.db.exists("Report", name) for name in links)
	cards = [card.number_card_name for card in workspace.number_cards]
	assert cards == [
		"Fees Billed This Term",
		"Fees Collected Today",
		"Fees Outstanding",
		"Overdue Fee Invoices",
	]
	for name in cards:
		assert frappe.db.get_value("Number Card", name, ["module", "is_standard"]) == ("School Fees", 1)
	assert [chart.chart_name for chart in workspace.charts] == ["Fee Collections"]
	assert frappe.db.get_value("Dashboard Chart", "Fee Collections", "module") == "School Fees"


def in_inr(amount) -> str:
	"""A money card's result for the trust's schools (all INR)."""
	return fmt_money(D(amount), currency="INR")


def test_number_cards_and_chart_for_a_trust(trust_books):
	assert number_cards.get_outstanding({"company": TRUST}) == in_inr(1100 - 100)  # today's payment counts
	assert number_cards.get_outstanding({"company": SCHOOL_B}) == in_inr(0)
	assert number_cards.get_overdue_invoices({"company": TRUST})["value"] == 1
	assert number_cards.get_collected_today({"company": TRUST}) == in_inr(100)
	assert number_cards.get_collected_today({"company": SCHOOL_B}) == in_inr(0)

	from frappe.desk.doctype.dashboard_chart.dashboard_chart import get_chart_config

	chart = frappe.get_doc("Dashboard Chart", "Fee Collections")
	filters = [
		*frappe.parse_json(chart.filters_json),
		["Payment Allocation", "company", "descendants of (inclusive)", TRUST],
	]
	# what the chart's `get` computes (called directly: `get` caches one result per chart in Redis)
	config = get_chart_config(chart, filters, chart.timespan, chart.time_interval, None, None)
	assert D(config["datasets"][0]["values"][-1]) == D(100)
