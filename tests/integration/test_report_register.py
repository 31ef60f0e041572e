"""Fee Invoice Register, Fee Collection and Fee Aging against the documents of a small school.

The school (fixture ``school``): two fresh class sections A (with a class teacher) and B, three
students, invoices dated around today (so statuses and ages are real), a receipt taken by a
Fee Cashier in another mode of payment, a credit note applied, a deposit used and partly refunded, a
late fee, a cancelled invoice and a draft. Other tests fill "_Test School" too, so every assertion is
limited to this school's sections or students. The reports run through Frappe's own
``frappe.desk.query_report.run``, with its role checks and totals row.
"""

from decimal import Decimal

import pytest
from factories import (
	ensure_company,
	make_academic_term,
	make_class_section,
	make_credit_note,
	make_deposit,
	make_fee_group,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D

import frappe
from frappe.desk.query_report import run
from frappe.utils import add_days, getdate, nowdate

from school_fees.ledger.aging import late_fees_charged_as_of, open_invoices_as_of
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice
from school_fees.school_fees.report.fee_aging.fee_aging import bucket_of
from school_fees.school_fees.report.fee_collection.fee_collection import CollectionFilterError
from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import (
	RegisterFilterError,
)
from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import (
	execute as register_execute,
)

REGISTER, COLLECTION, AGING = "Fee Invoice Register", "Fee Collection", "Fee Aging"
OTHER_SCHOOL = ("_Test School B", "_TSB")


def day(offset: int) -> str:
	return add_days(nowdate(), offset)


def report(name: str, **filters) -> frappe._dict:
	"""The report as the desk gets it; ``rows`` without the totals row, ``total`` that row."""
	result = frappe._dict(run(name, filters=filters, are_default_filters=False))
	result.rows = [row for row in result.result if isinstance(row, dict)]
	totals = [row for row in result.result if isinstance(row, list | tuple)]
	result.total = totals[0] if totals else None
	result.cards = {card["label"]: card["value"] for card in result.report_summary or []}
	return result


def column(result, fieldname: str):
	return [col["fieldname"] for col in result.columns].index(fieldname)


@pytest.fixture
def other_school():
	return ensure_company(*OTHER_SCHOOL)  # commits: before anything else is created


@pytest.fixture
def school(company, other_school):
	s = frappe._dict(company=company, other_school=other_school)
	s.teacher = make_user("Class Teacher")
	s.cashier = make_user("Fee Cashier", first_name="Cashier")
	s.term = make_academic_term().name
	s.section_a = make_class_section(company, class_teacher=s.teacher)
	s.section_b = make_class_section(company)
	s.a, s.b = s.section_a.name, s.section_b.name
	s.s1 = make_student(
		company,
		class_section=s.a,
		grade=s.section_a.grade,
		guardian_name="Mrs. Rao",
		guardian_phone="+91-9811111111",
		guardian_email="rao@school-fees.invalid",
	)
	s.s2 = make_student(company, class_section=s.a, grade=s.section_a.grade)
	s.s3 = make_student(company, class_section=s.b, grade=s.section_b.grade, guardian_phone="+91-9822222222")
	head = make_fee_head(company=company).name

	def invoice(student, amount, posted, due, submit=True, **kwargs):
		return make_fee_invoice(
			company,
			student=student.name,
			items=[(head, amount)],
			posting_date=day(posted),
			due_date=day(due),
			submit=submit,
			**kwargs,
		)

	# s1 (section A): 1,000 of which 400 paid ten days ago (95 days overdue), 2,000 unpaid (45 days
	# overdue), a late fee of 50 on the first (5 days overdue) and a draft
	s.inv1 = invoice(s.s1, 1000, -100, -95, academic_term=s.term)
	s.inv2 = invoice(s.s1, 2000, -50, -45, academic_term=s.term)
	s.late = invoice(s.s1, 50, -5, -5, is_late_fee=1, late_fee_for=s.inv1.name, academic_term=s.term)
	s.draft = invoice(s.s1, 700, 0, 30, submit=False)
	s.r1 = make_payment_allocation(
		company, s.s1.customer, paid_amount=400, posting_date=day(-10), allocations=[(s.inv1.name, 400)]
	)
	# s2 (section A): 1,500 paid today by the cashier by check; 800 due in 20 days, 250 credit applied
	s.inv3 = invoice(s.s2, 1500, -20, -10)
	s.inv4 = invoice(s.s2, 800, -3, 20)
	frappe.set_user(s.cashier)
	s.r3 = make_payment_allocation(
		company,
		s.s2.customer,
		paid_amount=1500,
		posting_date=day(0),
		allocations=[(s.inv3.name, 1500)],
		mode_of_payment="Check",
		paid_to=frappe.db.get_value("Company", company, "default_cash_account"),
		reference_no="CHQ-1",
	)
	frappe.set_user("Administrator")
	s.note = make_credit_note(company, s.s2.name, amount=250, posting_date=day(-3))
	s.credit = make_payment_allocation(
		company,
		s.s2.customer,
		"Apply Credit",
		posting_date=day(-2),
		source_doctype="Credit Note",
		source_name=s.note.name,
		allocations=[(s.inv4.name, 250)],
	)
	# s3 (section B): 1,200 (65 days overdue), 300 of it from a deposit of 1,000 taken five days ago,
	# 200 of the deposit refunded today; a cancelled invoice
	s.inv5 = invoice(s.s3, 1200, -70, -65)
	s.deposit = make_deposit(company, s.s3.name, amount=1000, posting_date=day(-5))
	s.used = make_payment_allocation(
		company,
		s.s3.customer,
		"Apply Deposit",
		posting_date=day(-5),
		source_doctype="Deposit",
		source_name=s.deposit.name,
		allocations=[(s.inv5.name, 300)],
	)
	s.refund = make_payment_allocation(
		company,
		s.s3.customer,
		"Refund",
		paid_amount=200,
		posting_date=day(0),
		source_doctype="Deposit",
		source_name=s.deposit.name,
	)
	s.cancelled = invoice(s.s3, 999, -30, -20)
	cancel_fee_invoice(s.cancelled.name, "Billed to the wrong student by mistake")
	return s


# ---------------------------------------------------------------- Fee Invoice Register


def test_register_rows_cards_and_chart_of_a_section(school):
	today = getdate(nowdate())
	result = report(
		REGISTER, company=school.company, class_section=school.a, sort_by="Due Date", sort_order="Ascending"
	)

	rows = {row["fee_invoice"]: row for row in result.rows}
	# drafts and cancelled invoices are left out unless asked for
	assert list(rows) == [
		school.inv1.name,
		school.inv2.name,
		school.inv3.name,
		school.late.name,
		school.inv4.name,
	]
	figures = {
		name: (
			D(r["grand_total"]),
			D(r["paid_amount"]),
			D(r["outstanding_amount"]),
			r["status"],
			r["days_overdue"],
		)
		for name, r in rows.items()
	}
	assert figures == {
		school.inv1.name: (D(1000), D(400), D(600), "Overdue", 95),
		school.inv2.name: (D(2000), D(0), D(2000), "Overdue", 45),
		school.inv3.name: (D(1500), D(1500), D(0), "Paid", 0),
		school.late.name: (D(50), D(0), D(50), "Overdue", 5),
		school.inv4.name: (D(800), D(250), D(550), "Partially Paid", 0),
	}
	first = rows[school.inv1.name]
	assert (first["student"], first["student_name"], first["admission_no"], first["class_section"]) == (
		school.s1.name,
		school.s1.student_name,
		school.s1.admission_no,
		school.a,
	)
	assert (first["posting_date"], first["due_date"]) == (getdate(day(-100)), getdate(day(-95)))
	assert (today - first["due_date"]).days == 95
	assert first["currency"] == frappe.get_cached_value("Company", school.company, "default_currency")

	assert result.cards == {
		"Active Invoices": 5,
		"Total Billed": 5350,
		"Total Collected": 2150,
		"Total Outstanding": 3200,
		"Issued": 0,
		"Partially Paid": 1,
		"Paid": 1,
		"Overdue": 3,
	}
	assert result.add_total_row
	for field, amount in (("grand_total", 5350), ("paid_amount", 2150), ("outstanding_amount", 3200)):
		assert D(result.total[column(result, field)]) == D(amount)
	assert result.chart["type"] == "donut"
	assert dict(
		zip(result.chart["data"]["labels"], result.chart["data"]["datasets"][0]["values"], strict=True)
	) == {
		"Partially Paid": 1,
		"Paid": 1,
		"Overdue": 3,
	}


def test_register_status_filter_takes_several_and_shows_drafts_and_cancelled_on_request(school):
	def names(**filters):
		return {row["fee_invoice"] for row in report(REGISTER, company=school.company, **filters).rows}

	assert names(class_section=school.a, status=["Draft"]) == {school.draft.name}
	assert names(class_section=school.b, status=["Cancelled"]) == {school.cancelled.name}
	assert names(class_section=school.a, status=["Paid", "Partially Paid"]) == {
		school.inv3.name,
		school.inv4.name,
	}
	assert names(class_section=school.a, status="Paid,Partially Paid") == {school.inv3.name, school.inv4.name}
	drafts = report(REGISTER, company=school.company, class_section=school.a, status=["Draft", "Overdue"])
	assert drafts.cards["Active Invoices"] == 3  # a draft is not active
	assert drafts.cards["Draft"] == 1 and drafts.cards["Total Billed"] == 3050
	with pytest.raises(RegisterFilterError):
		report(REGISTER, company=school.company, status=["Unpaid"])


def test_register_filters(school):
	def names(**filters):
		return [row["fee_invoice"] for row in report(REGISTER, company=school.company, **filters).rows]

	a = {"class_section": school.a}
	assert set(names(**a, has_outstanding="Yes")) == {
		school.inv1.name,
		school.inv2.name,
		school.late.name,
		school.inv4.name,
	}
	assert names(**a, has_outstanding="No") == [school.inv3.name]  # the daily close of paid invoices
	assert names(**a, invoice_date_from=day(-50), invoice_date_to=day(-5), sort_order="Ascending") == [
		school.inv2.name,
		school.inv3.name,
		school.late.name,
	]
	assert set(names(**a, due_date_from=day(-50), due_date_to=day(0))) == {
		school.inv2.name,
		school.inv3.name,
		school.late.name,
	}
	assert set(names(academic_term=school.term)) == {school.inv1.name, school.inv2.name, school.late.name}
	assert set(names(grade=school.section_b.grade)) == {school.inv5.name}
	# a student by admission number, by ID or by part of the name
	s2 = {school.inv3.name, school.inv4.name}
	assert set(names(student=school.s2.admission_no)) == s2
	assert set(names(student=school.s2.name)) == s2
	assert set(names(student=school.s2.student_name.split()[-1])) == s2
	# biggest dues first (the parent-meeting list)
	assert names(**a, sort_by="Outstanding")[:2] == [school.inv2.name, school.inv1.name]
	assert names(**a, sort_by="Amount", sort_order="Ascending")[0] == school.late.name
	with pytest.raises(RegisterFilterError):
		report(REGISTER, company=school.company, invoice_date_from=day(0), invoice_date_to=day(-1))


def test_register_fee_group_filter(school):
	group = make_fee_group(school.company)
	head = make_fee_head(company=school.company).name
	grouped = make_fee_invoice(
		school.company, student=school.s3.name, items=[(head, 300)], fee_group=group.name, submit=True
	)
	rows = report(REGISTER, company=school.company, fee_group=group.name).rows
	assert [(row["fee_invoice"], D(row["grand_total"]), row["status"]) for row in rows] == [
		(grouped.name, D(300), "Issued")
	]


# ---------------------------------------------------------------- Fee Collection


def test_collection_is_the_daily_close_by_mode_and_cashier(school):
	result = report(
		COLLECTION, company=school.company, from_date=day(-10), to_date=day(0), class_section=school.a
	)
	rows = [
		(r["receipt"], r["receipt_type"], r["mode_of_payment"], D(r["amount"]), r["cashier"])
		for r in result.rows
	]
	assert rows == [
		(school.r1.name, "Receipt", "Cash", D(400), "Administrator"),
		(school.r3.name, "Receipt", "Check", D(1500), school.cashier),
	]
	assert result.rows[1]["student"] == school.s2.name and result.rows[1]["reference_no"] == "CHQ-1"
	cashier_name = frappe.utils.get_fullname(school.cashier)
	assert result.cards == {
		"Net Collection": 1900,
		"Received": 1900,
		"Refunded": 0,
		"Cash": 400,
		"Check": 1500,
		"Cashier: Administrator": 400,
		f"Cashier: {cashier_name}": 1500,
	}
	assert D(result.total[column(result, "amount")]) == D(1900)
	assert result.chart["data"]["labels"] == ["Cash", "Check"]


def test_collection_shows_deposits_in_and_refunds_negative_and_no_credit_moves(school):
	result = report(
		COLLECTION, company=school.company, from_date=day(-10), to_date=day(0), class_section=school.b
	)
	rows = [(r["receipt"], r["voucher_type"], r["receipt_type"], D(r["amount"])) for r in result.rows]
	# the deposit applied to an invoice and the credit note move no cash: not listed
	assert rows == [
		(school.deposit.name, "Deposit", "Deposit", D(1000)),
		(school.refund.name, "Payment Allocation", "Refund", D(-200)),
	]
	assert (result.cards["Net Collection"], result.cards["Received"], result.cards["Refunded"]) == (
		800,
		1000,
		-200,
	)


def test_collection_filters(school):
	def receipts(**filters):
		filters = {"company": school.company, "from_date": day(-10), "to_date": day(0), **filters}
		return [row["receipt"] for row in report(COLLECTION, **filters).rows]

	mine = {school.r1.name, school.r3.name, school.deposit.name, school.refund.name}
	assert mine <= set(receipts())
	assert school.r3.name in receipts(mode_of_payment="Check", class_section=school.a)
	assert receipts(mode_of_payment="Cash", class_section=school.a) == [school.r1.name]
	assert receipts(cashier=school.cashier) == [school.r3.name]
	assert receipts(from_date=day(-1), class_section=school.a) == [school.r3.name]
	assert receipts(to_date=day(-6), class_section=school.a) == [school.r1.name]
	with pytest.raises(CollectionFilterError):
		report(COLLECTION, company=school.company, from_date=day(0), to_date=day(-1))


# ---------------------------------------------------------------- Fee Aging


def test_bucket_edges():
	assert [bucket_of(d) for d in (-1, 0, 30, 31, 60, 61, 90, 91, 400)] == [
		"not_due",
		"age_0_30",
		"age_0_30",
		"age_31_60",
		"age_31_60",
		"age_61_90",
		"age_61_90",
		"age_90_above",
		"age_90_above",
	]


AGING_FIELDS = ("outstanding_amount", "not_due", "age_0_30", "age_31_60", "age_61_90", "age_90_above")


def aging(result) -> dict:
	return {row["student"]: tuple(D(row[f]) for f in AGING_FIELDS) for row in result.rows}


def test_aging_today_is_the_call_list(school):
	result = report(AGING, company=school.company, as_of_date=day(0))
	mine = [row for row in result.rows if row["student"] in (school.s1.name, school.s2.name, school.s3.name)]
	# sorted by outstanding, biggest first
	assert [row["student"] for row in mine] == [school.s1.name, school.s3.name, school.s2.name]
	assert aging(frappe._dict(rows=mine)) == {
		# 600 at 95 days, 2,000 at 45, the late fee 50 at 5
		school.s1.name: (D(2650), D(0), D(50), D(2000), D(0), D(600)),
		school.s2.name: (D(550), D(550), D(0), D(0), D(0), D(0)),
		school.s3.name: (D(900), D(0), D(0), D(0), D(900), D(0)),
	}
	s1 = mine[0]
	assert (s1["guardian_name"], s1["guardian_phone"], s1["guardian_email"]) == (
		"Mrs. Rao",
		"+91-9811111111",
		"rao@school-fees.invalid",
	)
	assert (s1["admission_no"], s1["class_section"], s1["oldest_due_date"], s1["open_invoices"]) == (
		school.s1.admission_no,
		school.a,
		getdate(day(-95)),
		3,
	)
	assert D(s1["late_fees_charged"]) == D(50) and D(s1["overdue_amount"]) == D(2650)
	assert D(mine[2]["late_fees_charged"]) == D(0) and mine[2]["oldest_due_date"] == getdate(day(20))

	section_a = report(AGING, company=school.company, class_section=school.a)
	assert aging(section_a) == {
		school.s1.name: (D(2650), D(0), D(50), D(2000), D(0), D(600)),
		school.s2.name: (D(550), D(550), D(0), D(0), D(0), D(0)),
	}
	assert section_a.cards == {
		"Students Owing": 2,
		"Total Outstanding": 3200,
		"Overdue": 2650,
		"Not Due": 550,
		"0-30 days": 50,
		"31-60 days": 2000,
		"61-90 days": 0,
		"90+ days": 600,
		"Late Fees Charged": 50,
	}
	for field, amount in (("outstanding_amount", 3200), ("age_90_above", 600), ("late_fees_charged", 50)):
		assert D(section_a.total[column(section_a, field)]) == D(amount)
	assert section_a.chart["data"]["datasets"][0]["values"] == [550, 50, 2000, 0, 600]

	overdue = report(AGING, company=school.company, class_section=school.a, overdue_only=1)
	assert [row["student"] for row in overdue.rows] == [school.s1.name]
	assert [
		row["student"] for row in report(AGING, company=school.company, student=school.s3.admission_no).rows
	] == [school.s3.name]
	assert (
		report(AGING, company=school.company, class_section=school.a, academic_term=school.term).cards[
			"Total Outstanding"
		]
		== 2650
	)


def test_aging_as_of_a_past_date_reads_the_ledger(school):
	# thirty days ago: nothing of s1 was paid yet, the late fee and s2's invoices did not exist, the
	# deposit was not applied
	result = report(AGING, company=school.company, as_of_date=day(-30), class_section=school.a)
	assert aging(result) == {school.s1.name: (D(3000), D(0), D(2000), D(0), D(1000), D(0))}
	assert D(result.rows[0]["late_fees_charged"]) == D(0)
	past_b = report(AGING, company=school.company, as_of_date=day(-30), class_section=school.b)
	# the cancelled invoice is no debt on any date
	assert aging(past_b) == {school.s3.name: (D(1200), D(0), D(0), D(1200), D(0), D(0))}
	# the ledger module on its own, one figure per invoice
	open_now = {
		row.fee_invoice: row.outstanding
		for row in open_invoices_as_of(school.company, getdate(day(0)), class_sections=[school.a, school.b])
	}
	assert open_now == {
		school.inv1.name: D(600),
		school.inv2.name: D(2000),
		school.late.name: D(50),
		school.inv4.name: D(550),
		school.inv5.name: D(900),
	}
	assert all(isinstance(amount, Decimal) for amount in open_now.values())
	for name, outstanding in open_now.items():
		assert D(frappe.db.get_value("Fee Invoice", name, "outstanding_amount")) == outstanding
	assert late_fees_charged_as_of(school.company, getdate(day(0)), students=[school.s1.name]) == {
		school.s1.name: D(50)
	}
	assert open_invoices_as_of(school.company, getdate(day(0)), class_sections=[]) == []


# ---------------------------------------------------------------- permissions


def test_class_teacher_sees_only_their_sections(school):
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": school.teacher,
			"allow": "Company",
			"for_value": school.company,
		}
	).insert(ignore_permissions=True)
	frappe.set_user(school.teacher)
	register = report(REGISTER, company=school.company)
	assert {row["class_section"] for row in register.rows} == {school.a}
	assert register.cards["Active Invoices"] == 5
	# asking for another section shows nothing rather than it
	assert report(REGISTER, company=school.company, class_section=school.b).rows == []
	assert {row["student"] for row in report(AGING, company=school.company).rows} == {
		school.s1.name,
		school.s2.name,
	}
	assert report(AGING, company=school.company, class_section=school.b).rows == []
	# the daily close is the cashier's and the office's, not a class teacher's
	with pytest.raises(frappe.PermissionError):
		report(COLLECTION, company=school.company, from_date=day(-10), to_date=day(0))


def test_a_teacher_without_a_section_sees_nothing(school):
	frappe.set_user(make_user("Class Teacher"))
	assert report(REGISTER, company=school.company).rows == []
	assert report(AGING, company=school.company).rows == []


def test_a_school_outside_the_users_schools_is_refused(school):
	principal = make_user("Principal")
	frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": principal,
			"allow": "Company",
			"for_value": school.other_school,
		}
	).insert(ignore_permissions=True)
	frappe.set_user(principal)
	# the principal's own school runs (nothing billed there by this test)
	report(REGISTER, company=OTHER_SCHOOL[0])
	for name, filters in (
		(REGISTER, {}),
		(AGING, {}),
		(COLLECTION, {"from_date": day(-10), "to_date": day(0)}),
	):
		with pytest.raises(frappe.PermissionError):
			report(name, company=school.company, **filters)
	# the reports' own check, whatever calls them
	with pytest.raises(frappe.PermissionError):
		register_execute({"company": school.company})


@pytest.mark.parametrize("role", ["Principal", "Fee Cashier", "Trust Administrator", "Accounts User"])
def test_a_user_limited_to_the_school_reads_every_report(school, role):
	"""Frappe checks each link column of the rows against the user's rights when the user has User
	Permissions: every linked doctype must be readable by the roles the reports are for."""
	user = make_user(role)
	frappe.get_doc(
		{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": school.company}
	).insert(ignore_permissions=True)
	frappe.set_user(user)
	register = report(REGISTER, company=school.company, class_section=school.a)
	assert register.cards["Total Outstanding"] == 3200
	collection = report(COLLECTION, company=school.company, from_date=day(-10), to_date=day(0))
	assert {school.r1.name, school.r3.name, school.deposit.name, school.refund.name} <= {
		row["receipt"] for row in collection.rows
	}
	aging_rows = report(AGING, company=school.company, class_section=school.b).rows
	assert [(row["student"], D(row["outstanding_amount"])) for row in aging_rows] == [
		(school.s3.name, D(900))
	]
