"""Bank lines to fee receipts (school_fees.bank_receipts): a deposit on an ERPNext Bank Transaction
whose description or reference names a student (admission number or fee invoice number) becomes a
receipt against that student's invoices, oldest due first, reconciled with the line; everything else
is listed with the reason; no line is receipted twice, also by two users at once."""

import threading
import time

import pytest
from connections import Connection, hold_series, running, wait_until_running
from factories import (
	ensure_company,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
	make_user,
	unique,
)
from payment_helpers import D, accounts, assert_voucher_balances, gl_rows, invoice_state, ple_rows

import frappe

from school_fees.bank_receipts import (
	BankReceiptsNotPermittedError,
	admission_candidates,
	create_receipts,
	invoice_numbers,
	preview,
)
from school_fees.school_fees.doctype.payment_allocation.payment_allocation import NAMING_SERIES_BY_TYPE

LINE_DATE = "2027-04-06"
OTHER_SCHOOL = ("_Test School B", "_TSB")


# ---------------------------------------------------------------- fixtures


def make_bank(company: str, name: str | None = None) -> frappe._dict:
	"""A bank ledger account (account type Bank) and the school's Bank Account on it, as ERPNext's
	test_bank_transaction does (Bank, then Bank Account with its GL account)."""
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"company": company,
			"account_name": name or unique("Fee Bank"),
			"parent_account": frappe.db.get_value(
				"Account", {"company": company, "account_type": "Bank", "is_group": 1}
			),
			"account_type": "Bank",
			"is_group": 0,
		}
	).insert()
	bank = frappe.get_doc({"doctype": "Bank", "bank_name": unique("Bank")}).insert()
	bank_account = frappe.get_doc(
		{
			"doctype": "Bank Account",
			"account_name": unique("Current"),
			"bank": bank.name,
			"account": account.name,
			"is_company_account": 1,
			"company": company,
		}
	).insert()
	return frappe._dict(
		gl_account=account.name, bank=bank.name, bank_account=bank_account.name, company=company
	)


SHARED_BANK = "Fee Bank for Races"


def shared_bank(company: str) -> frappe._dict:
	"""The bank of the two-connection tests, committed once and kept on the site (like
	ensure_company): adding a ledger account rewrites the chart's tree, which deadlocks with other
	sessions adding accounts, and these tests commit."""
	account = frappe.db.get_value("Account", {"company": company, "account_name": SHARED_BANK})
	bank_account = account and frappe.db.get_value(
		"Bank Account", {"account": account, "company": company}, ["name", "bank"], as_dict=True
	)
	if not bank_account:
		made = make_bank(company, SHARED_BANK)
		frappe.db.commit()
		return made
	return frappe._dict(
		gl_account=account, bank=bank_account.bank, bank_account=bank_account.name, company=company
	)


def bank_line(bank, deposit=0, withdrawal=0, description="", reference="", date=LINE_DATE, submit=True):
	doc = frappe.get_doc(
		{
			"doctype": "Bank Transaction",
			"date": date,
			"bank_account": bank.bank_account,
			"deposit": deposit,
			"withdrawal": withdrawal,
			"currency": frappe.get_cached_value("Company", bank.company, "default_currency"),
			"reference_number": reference,
			"description": description,
		}
	).insert()
	if submit:
		doc.submit()
	return doc


def invoice(company, student, amount, posting_date, due_date):
	head = make_fee_head(company=company)
	return make_fee_invoice(
		company,
		student.name,
		items=[(head.name, amount)],
		posting_date=posting_date,
		due_date=due_date,
		submit=True,
	)


@pytest.fixture
def bank(company):
	return make_bank(company)


@pytest.fixture
def school(company, bank):
	"""Two students with open invoices, a third student of the school and one of another school,
	and one bank line of every kind."""
	s = frappe._dict(company=company)
	s.asha = make_student(company)
	s.a_old = invoice(company, s.asha, 800, "2027-01-05", "2027-01-10")
	s.a_mid = invoice(company, s.asha, 1000, "2027-01-05", "2027-02-10")
	s.a_new = invoice(company, s.asha, 1000, "2027-03-01", "2027-03-10")
	s.a_later = invoice(company, s.asha, 500, "2027-05-01", "2027-05-10")  # after the line: untouched
	s.bala = make_student(company)
	s.b_old = invoice(company, s.bala, 300, "2027-01-05", "2027-01-05")
	s.b_named = invoice(company, s.bala, 1000, "2027-01-05", "2027-02-05")
	s.chitra = make_student(company)
	other = ensure_company(*OTHER_SCHOOL)
	s.elsewhere = make_student(other)

	s.by_admission = bank_line(
		bank, 1500, description=f"NEFT/{s.asha.admission_no}/APR FEES", reference="UTR-A-1500"
	)
	s.by_invoice = bank_line(bank, 1500, description=f"School fee {s.b_named.name.lower()}, thanks")
	s.nothing = bank_line(bank, 700, description="Transfer from R Sharma", reference="UTR-X-700")
	s.two = bank_line(bank, 900, description=f"Fees {s.asha.admission_no} {s.chitra.admission_no}")
	s.other_school = bank_line(bank, 450, description=f"Fee {s.elsewhere.admission_no}")
	s.paid_out = bank_line(bank, withdrawal=400, description=f"Refund {s.asha.admission_no}")
	s.lines = [
		s.by_admission.name,
		s.by_invoice.name,
		s.nothing.name,
		s.two.name,
		s.other_school.name,
		s.paid_out.name,
	]
	return s


def receipts_of(customer):
	return frappe.get_all(
		"Payment Allocation",
		filters={"customer": customer, "docstatus": 1, "allocation_type": "Receipt"},
		pluck="name",
		order_by="name",
	)


# ---------------------------------------------------------------- reading the text


def test_admission_and_invoice_numbers_are_read_out_of_bank_text():
	runs = [[text for _f, _l, text in word] for word in admission_candidates("UPI/ADM-0042/FEES ok.")]
	assert runs == [
		[
			"UPI/ADM-0042/FEES",
			"UPI/ADM-0042",
			"ADM-0042/FEES",
			"UPI/ADM",
			"ADM-0042",
			"0042/FEES",
			"UPI",
			"ADM",
			"0042",
			"FEES",
		]
	]
	assert invoice_numbers("paid finv-2027-00012/x and FINV-2027-3, not XFINV-2027-9") == [
		"FINV-2027-00012",
		"FINV-2027-3",
	]


# ---------------------------------------------------------------- preview


def test_preview_proposes_receipts_oldest_first_and_says_why_the_rest_is_unmatched(school, bank):
	result = preview(school.lines)

	matched = {row["bank_transaction"]: row for row in result["matched"]}
	assert list(matched) == [school.by_admission.name, school.by_invoice.name]
	asha = matched[school.by_admission.name]
	assert (asha["student"], asha["amount"], asha["credit"], asha["paid_to"], asha["reference_no"]) == (
		school.asha.name,
		1500,
		0,
		bank.gl_account,
		"UTR-A-1500",
	)
	assert asha["matched_by"] == f"Admission No {school.asha.admission_no}"
	assert [(a["fee_invoice"], a["allocated_amount"]) for a in asha["allocations"]] == [
		(school.a_old.name, 800),
		(school.a_mid.name, 700),
	]
	# found by its invoice number, but the money goes to the oldest due first; the rest is credit
	bala = matched[school.by_invoice.name]
	assert (bala["student"], bala["matched_by"], bala["credit"]) == (
		school.bala.name,
		f"Fee Invoice {school.b_named.name}",
		200,
	)
	assert [(a["fee_invoice"], a["allocated_amount"]) for a in bala["allocations"]] == [
		(school.b_old.name, 300),
		(school.b_named.name, 1000),
	]
	assert bala["reference_no"] == school.by_invoice.name  # the bank gave no reference
	assert result["total"] == 3000

	unmatched = {row["bank_transaction"]: row for row in result["unmatched"]}
	assert {name: row["reason"] for name, row in unmatched.items()} == {
		school.nothing.name: "no_match",
		school.two.name: "several_students",
		school.other_school.name: "other_school",
		school.paid_out.name: "amount",
	}
	assert unmatched[school.paid_out.name]["amount"] == -400
	two = unmatched[school.two.name]["message"]
	assert school.asha.name in two and school.chitra.name in two
	assert OTHER_SCHOOL[0] in unmatched[school.other_school.name]["message"]
	# a preview creates nothing
	assert receipts_of(school.asha.customer) == []
	assert frappe.db.get_value("Bank Transaction", school.by_admission.name, "status") == "Unreconciled"


def test_preview_plans_two_lines_of_one_student_one_after_the_other(company, bank):
	student = make_student(company)
	first = invoice(company, student, 600, "2027-01-05", "2027-01-10")
	second = invoice(company, student, 600, "2027-01-05", "2027-02-10")
	lines = [
		bank_line(bank, 500, description=f"fee {student.admission_no}", reference="R-1"),
		bank_line(bank, 500, description=f"fee {student.admission_no}", reference="R-2"),
	]
	result = preview([line.name for line in lines])
	assert [
		[(a["fee_invoice"], a["outstanding_amount"]) for a in row["allocations"]] for row in result["matched"]
	] == [[(first.name, 600)], [(first.name, 100), (second.name, 600)]]
	assert [
		[(a["fee_invoice"], a["allocated_amount"]) for a in row["allocations"]] for row in result["matched"]
	] == [
		[(first.name, 500)],
		[(first.name, 100), (second.name, 400)],
	]


# ---------------------------------------------------------------- create


def test_create_receipts_posts_reconciles_and_clears(school, bank):
	company = school.company
	result = create_receipts(school.lines)

	assert result["failed"] == {}
	created = {row["bank_transaction"]: row["receipt"] for row in result["created"]}
	assert list(created) == [school.by_admission.name, school.by_invoice.name]
	assert {row["bank_transaction"]: row["reason"] for row in result["skipped"]} == {
		school.nothing.name: "no_match",
		school.two.name: "several_students",
		school.other_school.name: "other_school",
		school.paid_out.name: "amount",
	}

	receivable = accounts(company).receivable_account
	asha_receipt = frappe.get_doc("Payment Allocation", created[school.by_admission.name])
	assert (
		asha_receipt.allocation_type,
		asha_receipt.student,
		str(asha_receipt.posting_date),
		asha_receipt.paid_to,
		asha_receipt.reference_no,
		D(asha_receipt.paid_amount),
		D(asha_receipt.unallocated_amount),
	) == ("Receipt", school.asha.name, LINE_DATE, bank.gl_account, "UTR-A-1500", D(1500), D(0))
	customer = school.asha.customer
	assert gl_rows("Payment Allocation", asha_receipt.name) == sorted(
		[
			(bank.gl_account, D(1500), D(0), None, None, None),
			(receivable, D(0), D(800), customer, "Fee Invoice", school.a_old.name),
			(receivable, D(0), D(700), customer, "Fee Invoice", school.a_mid.name),
		]
	)
	assert_voucher_balances("Payment Allocation", asha_receipt.name)
	assert invoice_state(school.a_old.name) == (D(0), D(800), "Paid")
	assert invoice_state(school.a_mid.name)[:2] == (D(300), D(700))
	assert invoice_state(school.a_new.name)[:2] == (D(1000), D(0))
	assert invoice_state(school.a_later.name)[:2] == (D(500), D(0))

	bala_receipt = created[school.by_invoice.name]
	bala = school.bala.customer
	assert gl_rows("Payment Allocation", bala_receipt) == sorted(
		[
			(bank.gl_account, D(1500), D(0), None, None, None),
			(receivable, D(0), D(300), bala, "Fee Invoice", school.b_old.name),
			(receivable, D(0), D(1000), bala, "Fee Invoice", school.b_named.name),
			(receivable, D(0), D(200), bala, "Payment Allocation", bala_receipt),
		]
	)
	assert ple_rows("Payment Allocation", bala_receipt)[-1][-1] == D(-200)

	for line, receipt in created.items():
		bt = frappe.get_doc("Bank Transaction", line)
		assert bt.status == "Reconciled" and D(bt.unallocated_amount) == D(0)
		assert [(p.payment_document, p.payment_entry, D(p.allocated_amount)) for p in bt.payment_entries] == [
			("Payment Allocation", receipt, D(1500))
		]
		assert str(frappe.db.get_value("Payment Allocation", receipt, "clearance_date")) == LINE_DATE
	for line in (school.nothing, school.two, school.other_school):
		assert frappe.db.get_value("Bank Transaction", line.name, "status") == "Unreconciled"


def test_running_it_again_creates_nothing(school):
	first = create_receipts(school.lines)
	assert len(first["created"]) == 2
	receipts = receipts_of(school.asha.customer) + receipts_of(school.bala.customer)
	gl_count = frappe.db.count("GL Entry", {"voucher_type": "Payment Allocation", "is_cancelled": 0})

	again = create_receipts(school.lines)

	assert again["created"] == [] and again["failed"] == {}
	reasons = {row["bank_transaction"]: row["reason"] for row in again["skipped"]}
	assert reasons[school.by_admission.name] == reasons[school.by_invoice.name] == "reconciled"
	assert receipts_of(school.asha.customer) + receipts_of(school.bala.customer) == receipts
	assert frappe.db.count("GL Entry", {"voucher_type": "Payment Allocation", "is_cancelled": 0}) == gl_count
	assert invoice_state(school.a_mid.name)[:2] == (D(300), D(700))
	# and the preview says the same
	assert {row["bank_transaction"]: row["reason"] for row in preview(school.lines)["unmatched"]}[
		school.by_admission.name
	] == "reconciled"


def test_a_line_a_receipt_already_carries_is_not_receipted_again(company, bank):
	student = make_student(company)
	invoice(company, student, 1000, "2027-01-05", "2027-01-10")
	by_hand = make_payment_allocation(
		company, student.customer, paid_amount=600, paid_to=bank.gl_account, reference_no="CHQ-600"
	)
	counter = make_payment_allocation(company, student.customer, paid_amount=250, paid_to=bank.gl_account)
	same_reference = bank_line(bank, 600, description=f"CHQ {student.admission_no}", reference="CHQ-600")
	same_amount = bank_line(bank, 250, description=f"cash dep {student.admission_no}", reference="DEP-9")

	result = create_receipts([same_reference.name, same_amount.name])

	assert result["created"] == [] and result["failed"] == {}
	skipped = {row["bank_transaction"]: row for row in result["skipped"]}
	assert skipped[same_reference.name]["reason"] == "receipted"
	assert by_hand.name in skipped[same_reference.name]["message"]
	assert skipped[same_amount.name]["reason"] == "uncleared_receipt"
	assert counter.name in skipped[same_amount.name]["message"]
	assert receipts_of(student.customer) == sorted([by_hand.name, counter.name])


def test_a_draft_line_is_not_receipted(company, bank):
	student = make_student(company)
	draft = bank_line(bank, 300, description=student.admission_no, submit=False)
	result = preview([draft.name])
	assert [(row["bank_transaction"], row["reason"]) for row in result["unmatched"]] == [
		(draft.name, "not_submitted")
	]


def test_cancelling_the_receipt_reopens_the_line_for_a_new_receipt(company, bank):
	student = make_student(company)
	owed = invoice(company, student, 1000, "2027-01-05", "2027-01-10")
	line = bank_line(bank, 400, description=f"fees {student.admission_no}", reference="UTR-400")
	receipt = create_receipts([line.name])["created"][0]["receipt"]
	frappe.get_doc("Payment Allocation", receipt).cancel()
	assert frappe.db.get_value("Bank Transaction", line.name, "status") == "Unreconciled"

	again = create_receipts([line.name])["created"]
	assert len(again) == 1 and again[0]["receipt"] != receipt
	assert invoice_state(owed.name)[:2] == (D(600), D(400))


# ---------------------------------------------------------------- permissions


def test_a_user_without_access_to_the_school_is_refused(school):
	other = ensure_company(*OTHER_SCHOOL)
	user = make_user("Fees Manager", "Accounts User")
	frappe.get_doc(
		{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": other}
	).insert(ignore_permissions=True)

	frappe.set_user(user)
	with pytest.raises(frappe.PermissionError):
		preview([school.by_admission.name])
	with pytest.raises(frappe.PermissionError):
		create_receipts([school.by_admission.name])
	frappe.set_user("Administrator")

	assert receipts_of(school.asha.customer) == []
	assert frappe.db.get_value("Bank Transaction", school.by_admission.name, "status") == "Unreconciled"


def test_a_user_who_cannot_read_bank_lines_or_make_receipts_is_refused(school):
	frappe.set_user(make_user("Fee Cashier"))  # makes receipts, cannot read bank lines
	with pytest.raises(BankReceiptsNotPermittedError, match="read permission on Bank Transaction"):
		preview([school.by_admission.name])
	frappe.set_user(make_user("Accounts User"))  # reads bank lines, cannot submit receipts
	with pytest.raises(BankReceiptsNotPermittedError, match="create permission on Payment Allocation"):
		create_receipts([school.by_admission.name])
	frappe.set_user("Administrator")
	assert receipts_of(school.asha.customer) == []


def test_a_user_with_access_to_the_school_receipts(school):
	user = make_user("Fees Manager", "Accounts User")
	frappe.get_doc(
		{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": school.company}
	).insert(ignore_permissions=True)
	frappe.set_user(user)
	result = create_receipts([school.by_admission.name])
	frappe.set_user("Administrator")
	assert result["failed"] == {} and len(result["created"]) == 1
	assert frappe.db.get_value("Bank Transaction", school.by_admission.name, "status") == "Reconciled"


# ---------------------------------------------------------------- two users at once

LOCK_WAIT_SECONDS = 5


def delete_committed(students, invoices, lines) -> None:
	"""Delete what a two-connection test committed: the students' receipts and every ledger and audit
	row of them and of the invoices, the bank lines, the invoices, students and customers."""
	frappe.db.rollback()
	customers = [student.customer for student in students]
	fee_heads = frappe.get_all(
		"Fee Invoice Item", filters={"parent": ("in", invoices)}, pluck="fee_head", distinct=True
	)
	receipts = frappe.get_all("Payment Allocation", filters={"customer": ("in", customers)}, pluck="name")
	vouchers = [*receipts, *invoices]
	for table in ("GL Entry", "Payment Ledger Entry"):
		frappe.db.delete(table, {"voucher_no": ("in", vouchers)})
	frappe.db.delete("Fee Audit Log", {"reference_name": ("in", vouchers)})
	frappe.db.delete("Payment Allocation Item", {"parent": ("in", receipts or ["-"])})
	frappe.db.delete("Payment Allocation", {"name": ("in", receipts or ["-"])})
	frappe.db.delete("Bank Transaction Payments", {"parent": ("in", lines)})
	frappe.db.delete("Bank Transaction", {"name": ("in", lines)})
	frappe.db.delete("Fee Invoice Item", {"parent": ("in", invoices)})
	frappe.db.delete("Fee Invoice", {"name": ("in", invoices)})
	frappe.db.delete("Student", {"name": ("in", [student.name for student in students])})
	frappe.db.delete("Customer", {"name": ("in", customers)})
	frappe.db.delete("Fee Head", {"name": ("in", fee_heads or ["-"])})
	frappe.db.commit()


@pytest.fixture
def committed(company):
	"""A bank, a student with an invoice and a bank line, committed (another connection must see
	them); everything they and the receipts made from them leave is deleted afterwards."""
	bank = shared_bank(company)
	student = make_student(company)
	owed = invoice(company, student, 1000, "2027-01-05", "2027-01-10")
	line = bank_line(bank, 700, description=f"fees {student.admission_no}", reference=unique("UTR"))
	frappe.db.commit()
	yield frappe._dict(bank=bank, student=student, invoice=owed, line=line)
	delete_committed([student], [owed.name], [line.name])


@pytest.fixture
def busy(company):
	"""Committed: a bank, two students each with an invoice of 1,000 and a bank line of 700 paying
	it, and a third student with an invoice of 1,000 paid at the counter."""
	bank = shared_bank(company)
	students = [make_student(company) for _ in range(3)]
	invoices = [invoice(company, student, 1000, "2027-01-05", "2027-01-10") for student in students]
	lines = [
		bank_line(bank, 700, description=f"fees {student.admission_no}", reference=unique("UTR")).name
		for student in students[:2]
	]
	frappe.db.commit()
	yield frappe._dict(bank=bank, students=students, invoices=invoices, lines=lines, company=company)
	delete_committed(students, [doc.name for doc in invoices], lines)


def test_two_users_at_once_make_one_receipt(committed):
	"""The first run stops inside the line: it holds the line and waits for a receipt number (a third
	connection numbering a receipt holds the series). The second run waits for the line, then finds
	it reconciled."""
	line = committed.line.name
	release = threading.Event()
	numbering = Connection(hold_series(NAMING_SERIES_BY_TYPE["Receipt"]), release)
	numbering.start()
	assert numbering.ready.wait(timeout=60) and numbering.error is None, numbering.error
	first = Connection(lambda: create_receipts([line]))
	first.start()
	wait_until_running(first, "tabSeries", "for update")  # the line is locked, the receipt unnumbered
	second = Connection(lambda: create_receipts([line]))
	second.start()
	wait_until_running(second, "tabBank Transaction", line, "for update")  # waits for the line
	release.set()
	for connection in (numbering, first, second):
		connection.join(timeout=60)

	assert first.error is None and second.error is None, (first.error, second.error)
	assert len(first.result["created"]) == 1, first.result
	assert second.result["created"] == [] and second.result["failed"] == {}
	assert [row["reason"] for row in second.result["skipped"]] == ["reconciled"]
	frappe.db.rollback()  # a fresh snapshot for the reads below
	assert receipts_of(committed.student.customer) == [first.result["created"][0]["receipt"]]
	assert frappe.db.get_value("Bank Transaction", line, "status") == "Reconciled"
	assert invoice_state(committed.invoice.name)[:2] == (D(300), D(700))


def test_a_cashier_is_not_held_up_while_bank_lines_are_receipted(busy):
	"""Bank lines are receipted and committed one by one, so the run holds the receipt series for one
	line at a time. While the run waits for its second line (another user is on it), a cashier's
	receipt for another student of the school, numbered from the same series, goes through at once
	(before, it waited for the whole run and timed out)."""
	release = threading.Event()
	other_user = Connection(
		lambda: frappe.db.get_value("Bank Transaction", busy.lines[1], "name", for_update=True), release
	)
	other_user.start()
	assert other_user.ready.wait(timeout=60) and other_user.error is None, other_user.error
	run = Connection(lambda: create_receipts(busy.lines))
	run.start()
	wait_until_running(run, busy.lines[1], "for update")  # the first line is done

	cashier_student, cashier_invoice = busy.students[2], busy.invoices[2]
	cashier = Connection(
		lambda: (
			make_payment_allocation(
				busy.company,
				cashier_student.customer,
				paid_amount=400,
				posting_date=LINE_DATE,
				allocations=[(cashier_invoice.name, 400)],
			).name
		),
		lock_wait_timeout=LOCK_WAIT_SECONDS,
	)
	cashier.start()
	cashier.join(timeout=60)
	run_still_waiting = running(run, busy.lines[1], "for update")
	release.set()
	other_user.join(timeout=60)
	run.join(timeout=60)

	assert cashier.error is None, f"the cashier waited {cashier.seconds:.1f} s: {cashier.error!r}"
	assert run_still_waiting  # the cashier's receipt was made while the run was in progress
	assert run.error is None, run.error
	assert run.result["failed"] == {} and run.result["skipped"] == []
	first, second = (row["receipt"] for row in run.result["created"])
	assert [row["bank_transaction"] for row in run.result["created"]] == busy.lines
	assert first < cashier.result < second  # numbered in between
	frappe.db.rollback()  # a fresh snapshot for the reads below
	assert [invoice_state(doc.name)[:2] for doc in busy.invoices] == [
		(D(300), D(700)),
		(D(300), D(700)),
		(D(600), D(400)),
	]
	assert [frappe.db.get_value("Bank Transaction", line, "status") for line in busy.lines] == [
		"Reconciled",
		"Reconciled",
	]
