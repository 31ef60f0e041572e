"""Student Balances, Credit Balance and Deposit Balance, the grouped ledger readers behind them, and the
student's billing profile, against the documents of a small school built here.

The school: one fresh grade with two class sections (A has a class teacher), five students.

- s1 (A): invoices of 1,000 (01-04, academic term T) and 500 (01-05); a deposit of 1,000 (01-04); a
  receipt of 1,200 (10-05) pays the first and 200 of the second; 300 of the deposit settles the rest
  (15-05), 200 of it is refunded (20-05) and 100 moved to credit (25-05).
- s2 (A): an invoice of 800 (01-04) and one of 300 (02-04) cancelled; a credit note of 250 (05-04),
  200 of it applied to the 800 (06-04).
- s3 (B): an invoice of 1,200 (01-04) and a receipt of 1,500 (10-04): 300 of credit, 100 of it
  refunded (20-04).
- s4 (B): an invoice of 400 (01-04), then withdrawn.
- s5 (A): nothing billed; in fee group G (of term T2).

All dates are in 2027; figures are read as of 2027-06-30 unless a test says otherwise.
"""

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
	make_grade,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D

import frappe
from frappe.desk.query_report import run

from school_fees.ledger import balances
from school_fees.payments.deposits import DepositAmountError, make_deposits
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice
from school_fees.school_fees.report.common import ReportFilterError
from school_fees.school_fees.report.student_balances.student_balances import (
	execute as student_balances_execute,
)
from school_fees.student_profile import (
	get_billing_profile,
	get_credit_history,
	get_deposit_history,
	get_open_sources,
)

STUDENT_BALANCES = "Student Balances"
CREDIT_BALANCE = "Credit Balance"
DEPOSIT_BALANCE = "Deposit Balance"
OTHER_SCHOOL = ("_Test School B", "_TSB")
AS_OF = "2027-06-30"
FIGURES = ("invoiced_amount", "paid_amount", "balance_amount", "credit_balance", "deposit_balance")
CREDIT = ("credit_issued", "transferred_from_deposit", "credit_used", "credit_refunded", "credit_balance")
DEPOSIT = ("deposit_issued", "transferred_to_credit", "deposit_used", "deposit_refunded", "deposit_balance")


def report(name: str, **filters) -> frappe._dict:
	"""The report as the desk gets it: ``rows`` by student (without the totals row), ``total`` (that
	row), ``cards`` by label."""
	filters.setdefault("to_date", AS_OF)
	result = frappe._dict(run(name, filters=filters, are_default_filters=False))
	result.rows = {row["student"]: row for row in result.result if isinstance(row, dict)}
	totals = [row for row in result.result if isinstance(row, list | tuple)]
	result.total = totals[0] if totals else None
	result.cards = {card["label"]: D(card["value"]) for card in result.report_summary or []}
	return result


def figures(row: dict, keys) -> tuple:
	return tuple(D(row[key]) for key in keys)


@pytest.fixture
def school(company):
	s = frappe._dict(company=company)
	s.teacher = make_user("Class Teacher")
	s.grade = make_grade().name
	s.a = make_class_section(company, grade=s.grade, class_teacher=s.teacher).name
	s.b = make_class_section(company, grade=s.grade).name
	s.term = make_academic_term().name
	s.group = make_fee_group(company)
	head = make_fee_head(company=company).name

	def student(section, **kwargs):
		return make_student(company, class_section=section, grade=s.grade, **kwargs)

	def invoice(student, amount, posting_date, **kwargs):
		return make_fee_invoice(
			company, student.name, items=[(head, amount)], posting_date=posting_date, submit=True, **kwargs
		)

	def allocation(student, allocation_type, posting_date, **kwargs):
		return make_payment_allocation(
			company,
			student.customer,
			allocation_type,
			posting_date=posting_date,
			student=student.name,
			**kwargs,
		)

	s.s1, s.s2, s.s3, s.s4 = student(s.a), student(s.a), student(s.b), student(s.b)
	s.s5 = student(s.a, fee_groups=[s.group.name])

	s.inv1 = invoice(s.s1, 1000, "2027-04-01", academic_term=s.term)
	s.inv2 = invoice(s.s1, 500, "2027-05-01")
	s.deposit = make_deposit(company, s.s1.name, amount=1000, posting_date="2027-04-01")
	s.receipt1 = allocation(s.s1, "Receipt", "2027-05-10", paid_amount=1200)
	deposit_source = {"source_doctype": "Deposit", "source_name": s.deposit.name}
	s.apply_deposit = allocation(
		s.s1, "Apply Deposit", "2027-05-15", allocations=[(s.inv2.name, 300)], **deposit_source
	)
	s.refund_deposit = allocation(s.s1, "Refund", "2027-05-20", paid_amount=200, **deposit_source)
	s.to_credit = allocation(s.s1, "Deposit to Credit", "2027-05-25", paid_amount=100, **deposit_source)

	s.inv3 = invoice(s.s2, 800, "2027-04-01")
	s.cancelled = invoice(s.s2, 300, "2027-04-02")
	cancel_fee_invoice(s.cancelled.name, "Charged to the wrong student")
	s.note = make_credit_note(company, s.s2.name, amount=250, posting_date="2027-04-05")
	s.apply_credit = allocation(
		s.s2,
		"Apply Credit",
		"2027-04-06",
		allocations=[(s.inv3.name, 200)],
		source_doctype="Credit Note",
		source_name=s.note.name,
	)

	s.inv4 = invoice(s.s3, 1200, "2027-04-01")
	s.receipt3 = allocation(s.s3, "Receipt", "2027-04-10", paid_amount=1500)
	s.refund_credit = allocation(
		s.s3,
		"Refund",
		"2027-04-20",
		paid_amount=100,
		source_doctype="Payment Allocation",
		source_name=s.receipt3.name,
	)

	s.inv5 = invoice(s.s4, 400, "2027-04-01")
	s.s4.reload()
	s.s4.update({"status": "Withdrawn", "leaving_date": "2027-06-01"})
	s.s4.save()
	s.ours = {s.s1.name, s.s2.name, s.s3.name, s.s4.name, s.s5.name}
	return s


# ---------------------------------------------------------------- Student Balances


def test_student_balances_rows_cards_and_totals(school):
	result = report(STUDENT_BALANCES, company=school.company, grade=school.grade)

	assert set(result.rows) == school.ours
	expected = {
		school.s1.name: (1500, 1500, 0, 100, 400),
		school.s2.name: (800, 200, 600, 50, 0),  # the cancelled 300 counts nowhere
		school.s3.name: (1200, 1200, 0, 200, 0),
		school.s4.name: (400, 0, 400, 0, 0),
		school.s5.name: (0, 0, 0, 0, 0),  # active: listed, to be invoiced from here
	}
	for student, amounts in expected.items():
		assert figures(result.rows[student], FIGURES) == tuple(D(x) for x in amounts), student
		# a row is get_balance of the student, as of the same date
		balance = balances.get_balance(student=student, as_of=AS_OF)
		row = result.rows[student]
		assert (D(row["invoiced_amount"]), D(row["paid_amount"]), D(row["balance_amount"])) == (
			balance["invoiced"],
			balance["paid"],
			balance["outstanding"],
		)
		assert (D(row["credit_balance"]), D(row["deposit_balance"])) == (
			balance["open_credit"],
			balance["deposit_held"],
		)

	row = result.rows[school.s1.name]
	assert (row["student_name"], row["admission_no"], row["class_section"]) == (
		school.s1.student_name,
		school.s1.admission_no,
		school.a,
	)
	assert row["currency"] == frappe.get_cached_value("Company", school.company, "default_currency")
	assert result.cards == {"Invoiced Amount": D(3900), "Paid Amount": D(2900), "Balance Amount": D(1000)}
	columns = [column["fieldname"] for column in result.columns]
	assert columns[:9] == ["student", "student_name", "admission_no", "class_section", *FIGURES]
	total = dict(zip(columns, result.total, strict=False))
	assert (D(total["invoiced_amount"]), D(total["paid_amount"]), D(total["balance_amount"])) == (
		D(3900),
		D(2900),
		D(1000),
	)
	assert (D(total["credit_balance"]), D(total["deposit_balance"])) == (D(350), D(400))


def test_student_balances_as_of_an_earlier_date_and_an_invoice_window(school):
	april = report(STUDENT_BALANCES, company=school.company, grade=school.grade, to_date="2027-04-30")
	# May's invoice, receipt and deposit movements had not happened yet
	assert figures(april.rows[school.s1.name], FIGURES) == (D(1000), D(0), D(1000), D(0), D(1000))
	assert figures(april.rows[school.s2.name], FIGURES) == (D(800), D(200), D(600), D(50), D(0))
	assert figures(april.rows[school.s3.name], FIGURES) == (D(1200), D(1200), D(0), D(200), D(0))

	may_on = report(STUDENT_BALANCES, company=school.company, grade=school.grade, from_date="2027-05-01")
	assert figures(may_on.rows[school.s1.name], FIGURES) == (D(500), D(500), D(0), D(100), D(400))
	# invoiced only in April: nothing in the window, but credit held now
	assert figures(may_on.rows[school.s2.name], FIGURES) == (D(0), D(0), D(0), D(50), D(0))
	assert may_on.cards["Invoiced Amount"] == D(500)

	with pytest.raises(ReportFilterError):
		student_balances_execute(
			{"company": school.company, "from_date": "2027-06-01", "to_date": "2027-05-01"}
		)


def test_student_balances_filters(school):
	def students(**filters):
		return set(report(STUDENT_BALANCES, company=school.company, **filters).rows)

	assert students(class_section=school.a) == {school.s1.name, school.s2.name, school.s5.name}
	assert students(class_section=school.b) == {school.s3.name, school.s4.name}
	assert students(grade=school.grade, student_status="Withdrawn") == {school.s4.name}
	assert students(student=school.s3.name) == {school.s3.name}
	assert students(student=school.s3.admission_no) == {school.s3.name}  # by admission number
	# a term: its invoices only, and its students
	term = report(STUDENT_BALANCES, company=school.company, academic_term=school.term)
	assert set(term.rows) == {school.s1.name}
	assert figures(term.rows[school.s1.name], FIGURES)[:3] == (D(1000), D(1000), D(0))
	# a fee group: its members, though nothing is billed to them yet
	group = report(STUDENT_BALANCES, company=school.company, fee_group=school.group.name)
	assert set(group.rows) == {school.s5.name}
	group_term = frappe.db.get_value("Fee Group", school.group.name, "academic_term")
	assert school.s5.name in report(STUDENT_BALANCES, company=school.company, academic_term=group_term).rows


def test_a_former_student_is_listed_only_with_figures(school):
	# withdrawn, paid up: still listed, their invoice and payment count in the totals
	make_payment_allocation(
		school.company, school.s4.customer, posting_date="2027-06-10", paid_amount=400, student=school.s4.name
	)
	rows = report(STUDENT_BALANCES, company=school.company, grade=school.grade).rows
	assert figures(rows[school.s4.name], FIGURES) == (D(400), D(400), D(0), D(0), D(0))
	# nothing invoiced to them in the window and nothing held: left out; an active student stays
	rows = report(STUDENT_BALANCES, company=school.company, grade=school.grade, from_date="2027-05-01").rows
	assert school.s4.name not in rows
	assert figures(rows[school.s5.name], FIGURES) == (D(0),) * 5


# ---------------------------------------------------------------- Credit Balance, Deposit Balance


def test_credit_balance(school):
	result = report(CREDIT_BALANCE, company=school.company, grade=school.grade)
	assert set(result.rows) == {school.s1.name, school.s2.name, school.s3.name}  # only who has credit
	assert figures(result.rows[school.s1.name], CREDIT) == (D(0), D(100), D(0), D(0), D(100))
	assert figures(result.rows[school.s2.name], CREDIT) == (D(250), D(0), D(200), D(0), D(50))
	assert figures(result.rows[school.s3.name], CREDIT) == (D(300), D(0), D(0), D(100), D(200))
	assert result.cards == {
		"Credit Issued": D(550),
		"Transferred from Deposit": D(100),
		"Credit Used": D(200),
		"Credit Refunded": D(100),
		"Credit Balance": D(350),
	}
	# movements of the window; the balance on its last day
	may_on = report(CREDIT_BALANCE, company=school.company, grade=school.grade, from_date="2027-05-01")
	assert figures(may_on.rows[school.s3.name], CREDIT) == (D(0), D(0), D(0), D(0), D(200))
	april = report(CREDIT_BALANCE, company=school.company, grade=school.grade, to_date="2027-04-30")
	assert set(april.rows) == {school.s2.name, school.s3.name}
	assert figures(april.rows[school.s3.name], CREDIT) == (D(300), D(0), D(0), D(100), D(200))
	assert set(report(CREDIT_BALANCE, company=school.company, class_section=school.b).rows) == {
		school.s3.name
	}
	# a term: the students of it (s1 was invoiced in it)
	assert set(report(CREDIT_BALANCE, company=school.company, academic_term=school.term).rows) == {
		school.s1.name
	}


def test_deposit_balance(school):
	result = report(DEPOSIT_BALANCE, company=school.company, grade=school.grade)
	assert set(result.rows) == {school.s1.name}
	assert figures(result.rows[school.s1.name], DEPOSIT) == (D(1000), D(100), D(300), D(200), D(400))
	assert result.cards == {
		"Deposit Issued": D(1000),
		"Transferred to Credit": D(100),
		"Deposit Used": D(300),
		"Deposit Refunded": D(200),
		"Deposit Balance": D(400),
	}
	before_refund = report(DEPOSIT_BALANCE, company=school.company, grade=school.grade, to_date="2027-05-19")
	assert figures(before_refund.rows[school.s1.name], DEPOSIT) == (D(1000), D(0), D(300), D(0), D(700))
	# cancelling the refund puts the deposit back
	frappe.get_doc("Payment Allocation", school.to_credit.name).cancel()
	frappe.get_doc("Payment Allocation", school.refund_deposit.name).cancel()
	after = report(DEPOSIT_BALANCE, company=school.company, grade=school.grade)
	assert figures(after.rows[school.s1.name], DEPOSIT) == (D(1000), D(0), D(300), D(0), D(700))
	assert school.s1.name not in report(CREDIT_BALANCE, company=school.company, grade=school.grade).rows


def test_add_deposit_for_several_students(school):
	result = make_deposits(
		[school.s2.name, school.s3.name, "STU-NOT-THERE"],
		amount=150,
		posting_date="2027-06-01",
		deposit_type="Registration",
		mode_of_payment="Cash",
	)
	assert len(result["created"]) == 2
	assert [row["student"] for row in result["failed"]] == ["STU-NOT-THERE"]
	rows = report(DEPOSIT_BALANCE, company=school.company, grade=school.grade).rows
	assert figures(rows[school.s2.name], DEPOSIT) == (D(150), D(0), D(0), D(0), D(150))
	assert figures(rows[school.s3.name], DEPOSIT) == (D(150), D(0), D(0), D(0), D(150))
	with pytest.raises(DepositAmountError):
		make_deposits(
			[school.s2.name],
			amount=0,
			posting_date="2027-06-01",
			deposit_type="Security",
			mode_of_payment="Cash",
		)

	frappe.set_user(make_user("Class Teacher"))
	with pytest.raises(frappe.PermissionError):
		make_deposits(
			[school.s2.name],
			amount=10,
			posting_date="2027-06-01",
			deposit_type="Security",
			mode_of_payment="Cash",
		)


# ---------------------------------------------------------------- permissions


def test_a_class_teacher_sees_their_sections_students_only(school):
	frappe.set_user(school.teacher)
	result = report(STUDENT_BALANCES, company=school.company)
	assert set(result.rows) == {school.s1.name, school.s2.name, school.s5.name}
	assert result.cards["Invoiced Amount"] == D(2300)
	assert report(STUDENT_BALANCES, company=school.company, class_section=school.b).rows == {}
	assert set(report(CREDIT_BALANCE, company=school.company).rows) == {school.s1.name, school.s2.name}
	assert set(report(DEPOSIT_BALANCE, company=school.company).rows) == {school.s1.name}

	assert get_billing_profile(school.s1.name, AS_OF)["outstanding"] == 0.0
	with pytest.raises(frappe.PermissionError):
		get_billing_profile(school.s3.name, AS_OF)
	with pytest.raises(frappe.PermissionError):
		get_credit_history(school.s3.name)

	frappe.set_user(make_user("Class Teacher"))  # no section: nothing
	assert report(STUDENT_BALANCES, company=school.company).rows == {}


def test_a_school_outside_the_users_schools_is_refused(school):
	other = ensure_company(*OTHER_SCHOOL)
	principal = make_user("Principal")
	frappe.get_doc(
		{"doctype": "User Permission", "user": principal, "allow": "Company", "for_value": other}
	).insert(ignore_permissions=True)
	frappe.set_user(principal)
	report(STUDENT_BALANCES, company=other)
	for name in (STUDENT_BALANCES, CREDIT_BALANCE, DEPOSIT_BALANCE):
		with pytest.raises(frappe.PermissionError):
			report(name, company=school.company)
	with pytest.raises(frappe.PermissionError):
		student_balances_execute({"company": school.company})


# ---------------------------------------------------------------- ledger readers, one school at once


def test_grouped_readers_match_get_balance_for_every_student(school):
	company, ours = school.company, sorted(school.ours)
	invoices = balances.invoice_totals_by_student(company, AS_OF, students=ours)
	credit = balances.open_credit_by_student(company, AS_OF, students=ours)
	deposits = balances.deposits_held_by_student(company, AS_OF, students=ours)
	credit_moves = balances.credit_movements_by_student(company, AS_OF, students=ours)
	deposit_moves = balances.deposit_movements_by_student(company, AS_OF, students=ours)
	for student in ours:
		balance = balances.get_balance(student=student, as_of=AS_OF)
		invoiced, outstanding = invoices.get(student, (D(0), D(0)))
		assert (invoiced, outstanding) == (balance["invoiced"], balance["outstanding"]), student
		assert credit.get(student, D(0)) == balance["open_credit"], student
		assert deposits.get(student, D(0)) == balance["deposit_held"], student
		moved = credit_moves.get(student)
		if moved:  # over the whole history the movements add up to the balance
			assert (
				moved["issued"] + moved["transferred_from_deposit"] - moved["used"] - moved["refunded"]
				== balance["open_credit"]
			)
		moved = deposit_moves.get(student)
		if moved:
			assert (
				moved["issued"] - moved["transferred_to_credit"] - moved["used"] - moved["refunded"]
				== balance["deposit_held"]
			)
	# scopes: a section, a status; an empty list matches nothing
	assert set(balances.invoice_totals_by_student(company, AS_OF, class_sections=[school.b])) == {
		school.s3.name,
		school.s4.name,
	}
	assert set(
		balances.invoice_totals_by_student(company, AS_OF, grade=school.grade, student_status="Withdrawn")
	) == {school.s4.name}
	assert balances.open_credit_by_student(company, AS_OF, class_sections=[]) == {}
	with pytest.raises(TypeError):
		balances.deposits_held_by_student(company, AS_OF, section=school.a)


def test_an_invoice_settled_beyond_its_amount_elsewhere_owes_nothing(school):
	"""A voucher other than the app's (here a Payment Ledger row of a Journal Entry, written straight
	to the table) settles more than s3's paid invoice owed: that invoice owes 0, not -500, in the
	report as in get_balance; the student's other invoice still owes in full."""
	extra = make_fee_invoice(
		school.company,
		school.s3.name,
		items=[(make_fee_head(company=school.company).name, 700)],
		posting_date="2027-05-01",
		submit=True,
	)
	own_row = frappe.get_all(
		"Payment Ledger Entry",
		filters={"voucher_no": school.inv4.name, "against_voucher_no": school.inv4.name, "delinked": 0},
		pluck="name",
	)[0]
	foreign = frappe.copy_doc(frappe.get_doc("Payment Ledger Entry", own_row))
	foreign.update(
		{
			"voucher_type": "Journal Entry",
			"voucher_no": "ACC-JV-REPORT-TEST",
			"posting_date": "2027-05-02",
			"amount": -500,
			"amount_in_account_currency": -500,
		}
	)
	foreign.name = frappe.generate_hash(length=12)
	foreign.db_insert()

	row = report(STUDENT_BALANCES, company=school.company, student=school.s3.name).rows[school.s3.name]
	assert figures(row, FIGURES)[:3] == (D(1900), D(1200), D(700))
	balance = balances.get_balance(student=school.s3.name, as_of=AS_OF)
	assert (balance["invoiced"], balance["outstanding"]) == (D(1900), D(700))
	assert extra.name in frappe.get_all("Fee Invoice", filters={"student": school.s3.name}, pluck="name")


# ---------------------------------------------------------------- the billing profile and histories


def test_billing_profile_statement_of_every_invoice_and_payment(school):
	profile = get_billing_profile(school.s1.name, AS_OF)
	assert (
		profile["invoiced"],
		profile["paid"],
		profile["outstanding"],
		profile["open_credit"],
		profile["deposit_held"],
	) == (1500.0, 1500.0, 0.0, 100.0, 400.0)
	assert profile["customer"] == school.s1.customer
	statement = [
		(
			row["voucher"],
			row["debit"],
			row["credit"],
			row["balance"],
			row["deposit"],
			row["deposit_balance"],
		)
		for row in profile["statement"]
	]
	assert statement == [
		(school.inv1.name, 1000.0, 0.0, 1000.0, 0.0, 0.0),
		(school.deposit.name, 0.0, 0.0, 1000.0, 1000.0, 1000.0),
		(school.inv2.name, 500.0, 0.0, 1500.0, 0.0, 1000.0),
		(school.receipt1.name, 0.0, 1200.0, 300.0, 0.0, 1000.0),
		(school.apply_deposit.name, 0.0, 300.0, 0.0, -300.0, 700.0),
		(school.refund_deposit.name, 0.0, 0.0, 0.0, -200.0, 500.0),
		(school.to_credit.name, 0.0, 100.0, -100.0, -100.0, 400.0),
	]
	assert all(row["description"] for row in profile["statement"])
	# the last balance is what is owed less open credit
	assert statement[-1][3] == profile["outstanding"] - profile["open_credit"]
	assert [
		(row["source_doctype"], row["source_name"], row["available"]) for row in profile["open_sources"]
	] == [
		("Deposit", school.deposit.name, 400.0),
		("Payment Allocation", school.to_credit.name, 100.0),
	]

	# as of an earlier date: what had happened by then
	april = get_billing_profile(school.s1.name, "2027-04-30")
	assert (april["invoiced"], april["outstanding"], april["deposit_held"]) == (1000.0, 1000.0, 1000.0)
	assert [row["voucher"] for row in april["statement"]] == [school.inv1.name, school.deposit.name]

	s2 = get_billing_profile(school.s2.name, AS_OF)
	vouchers = [row["voucher"] for row in s2["statement"]]
	assert school.cancelled.name not in vouchers  # a cancelled invoice is not on the statement
	apply_credit = next(row for row in s2["statement"] if row["voucher"] == school.apply_credit.name)
	# the student's own credit applied to their invoice: the balance does not move
	assert (apply_credit["debit"], apply_credit["credit"], apply_credit["balance"]) == (0.0, 0.0, 550.0)
	assert s2["statement"][-1]["balance"] == s2["outstanding"] - s2["open_credit"] == 550.0


def test_credit_and_deposit_histories(school):
	history = get_credit_history(school.s3.name)
	assert [(row["voucher_no"], row["source_name"], row["movement"], row["amount"]) for row in history] == [
		(school.receipt3.name, school.receipt3.name, "issued", 300.0),
		(school.refund_credit.name, school.receipt3.name, "refunded", 100.0),
	]
	history = get_credit_history(school.s2.name)
	assert [(row["voucher_no"], row["movement"], row["amount"]) for row in history] == [
		(school.note.name, "issued", 250.0),
		(school.apply_credit.name, "used", 200.0),
	]
	history = get_deposit_history(school.s1.name)
	assert [(row["voucher_no"], row["movement"], row["amount"]) for row in history] == [
		(school.deposit.name, "issued", 1000.0),
		(school.apply_deposit.name, "used", 300.0),
		(school.refund_deposit.name, "refunded", 200.0),
		(school.to_credit.name, "transferred_to_credit", 100.0),
	]
	assert get_open_sources(school.s3.name) == [
		{
			"source_doctype": "Payment Allocation",
			"source_name": school.receipt3.name,
			"posting_date": frappe.utils.getdate("2027-04-10"),
			"available": 200.0,
		}
	]
	assert get_deposit_history(school.s5.name) == []
