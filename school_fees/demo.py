"""A small demo school with a term in progress, to try School Fees on.

    bench --site SITE execute school_fees.demo.load

The school: the company "Green Valley School" with its School Fees accounts (the Company hook sets
those up), two grades, four class sections, forty students (four pairs of siblings share one billing
customer), fee heads with income accounts, two discounts, and a fee structure of four quarterly
installments with a late-fee rule, billed to a fee group with every student in it.

The term is dated from today: it began six months ago, so three installments are issued and the
fourth is still to come. Everything goes through the app's own documents:
- the Draft invoices the student sync makes are issued for the first three installments; the drafts
  of the fourth are deleted, so a Billing Run bills it (its preview shows the students to bill);
- most families paid by cash receipts, some part-paid the current installment, a few are behind or
  paid nothing; the daily jobs (mark overdue, late fees) then run as of today;
- a scholarship Credit Note applied to an invoice, a security Deposit used in part, an overpaid
  receipt whose remainder is refunded.

Safe to run again: everything is looked up by its name or key first (fee group, admission numbers,
the reference of every receipt), so a second run creates nothing. `load()` itself does not commit:
`bench execute` commits when it returns (the daily jobs commit their batches, except under tests).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import frappe
from frappe.utils import add_days, add_months, flt, fmt_money, get_last_day, getdate, nowdate

from school_fees.invoicing.jobs import apply_late_fees, issue_invoice, mark_overdue_invoices
from school_fees.invoicing.student_sync import delete_draft
from school_fees.setup.schools import ensure_school

COMPANY = "Green Valley School"
ABBR = "GVS"
GRADES = (("Class 6", 6), ("Class 7", 7))
SECTIONS = ("A", "B")

FEE_HEADS = {  # fee head: (income account name, amount for the year)
	"Tuition Fee": ("Tuition Fees", 18000),
	"Computer Lab Fee": ("Computer Lab Fees", 1200),
	"Library Fee": ("Library Fees", 600),
	"Smart Class Fee": ("Smart Class Fees", 1800),
}
LIBRARY_FEE = "Library Fee"  # billed once, with the first installment
LATE_FEE_HEAD, LATE_FEE_ACCOUNT = "Late Payment Fee", "Late Fee Income"
LATE_FEE_RULE = {  # 100 a month once 7 days late, at most 500 per invoice
	"late_fee_applicable": 1,
	"late_fee_grace_days": 7,
	"late_fee_type": "Flat",
	"late_fee_value": 100,
	"late_fee_frequency": "Per Month",
	"late_fee_cap": 500,
	"late_fee_head": LATE_FEE_HEAD,
}
INSTALLMENT_COUNT = 4  # quarterly
BILLED_INSTALLMENTS = 3  # issued by the demo; the rest are left for a Billing Run
MONTHS_SINCE_TERM_START = 6  # the third installment is issued on the first of this month

FIRST_NAMES = (
	"Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan",
	"Ananya", "Diya", "Aadhya", "Saanvi", "Pari", "Anika", "Navya", "Myra", "Sara", "Ira",
	"Kabir", "Advik", "Rudra", "Atharv", "Dhruv", "Kiara", "Riya", "Meera", "Tara", "Avni",
	"Shaurya", "Parth", "Yash", "Om", "Veer", "Aisha", "Nisha", "Pooja", "Zoya", "Jiya",
)  # fmt: skip
SURNAMES = ("Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Patel", "Singh", "Das", "Khan")
STUDENT_COUNT = 40
# (older, younger) student numbers that are siblings: the younger shares the older's customer and
# gets the sibling discount.
SIBLINGS = ((1, 11), (2, 22), (5, 35), (8, 18))
STAFF_CHILDREN = (4,)
LATE_JOINERS = (39, 40)  # joined half-way through the second quarter, billed from it on

# What each family paid of the three issued installments: all of it (FULL), an amount, or nothing.
FULL = "full"
PAID_UP = (FULL, FULL, FULL)
PAYING_CURRENT = (FULL, FULL, 2000)  # the current installment part-paid, not yet due
CURRENT_UNPAID = (FULL, FULL, 0)  # the current installment not paid yet, not yet due
BEHIND = (FULL, 3000, 0)  # the second installment part-paid and overdue
NOTHING_PAID = (0, 0, 0)
DEPOSIT_STUDENT, CREDIT_STUDENT, OVERPAYING_STUDENT = 2, 3, 6
PAYMENT_PLANS = (
	(PAYING_CURRENT, range(15, 23)),
	(CURRENT_UNPAID, (*range(23, 31), 40, DEPOSIT_STUDENT, CREDIT_STUDENT)),
	(BEHIND, range(31, 35)),
	(NOTHING_PAID, range(35, 39)),
)  # everybody else: PAID_UP
DEPOSIT_AMOUNT, DEPOSIT_USED = 5000, 2000
SCHOLARSHIP = 1500
OVERPAYMENT = 750


@dataclass
class School:
	"""The demo school as the loader finds or makes it."""

	company: str
	abbr: str
	today: date
	term: str | None = None
	structure: str | None = None
	installments: list = field(default_factory=list)  # the structure's rows, oldest first
	students: dict[int, str] = field(default_factory=dict)  # demo number -> Student

	@property
	def fee_group(self) -> str:
		return f"{self.abbr} Class 6-7"

	@property
	def billed(self) -> list:
		return [
			row for row in self.installments[:BILLED_INSTALLMENTS] if getdate(row.issue_date) <= self.today
		]

	@property
	def unbilled(self) -> list:
		return [row for row in self.installments if row not in self.billed]


def load(company: str = COMPANY, abbr: str = ABBR) -> None:
	"""Load (or top up) the demo school and its term in progress, and print what it holds.
	`company` and `abbr` name another school to load it into (the tests use their own)."""
	school = School(company, abbr, getdate(nowdate()))
	before = document_counts(company)
	set_up_school(school)
	bill_installments(school)
	record_payments(school)
	run_daily_jobs(school)
	print_summary(school, before)


# ---------------------------------------------------------------- the school and its students


def set_up_school(school: School) -> None:
	ensure_school(school.company, school.abbr)
	sections = ensure_class_sections(school.company)
	ensure_fee_heads(school.company)
	ensure_fee_structure(school)
	ensure_discounts(school)
	ensure_students(school, sections)


def ensure_class_sections(company: str) -> list[str]:
	sections = []
	for grade_name, sequence in GRADES:
		if not frappe.db.exists("Grade", grade_name):
			frappe.get_doc({"doctype": "Grade", "grade_name": grade_name, "sequence": sequence}).insert()
		for section in SECTIONS:
			values = {"company": company, "grade": grade_name, "section": section}
			name = frappe.db.get_value("Class Section", values)
			sections.append(name or frappe.get_doc({"doctype": "Class Section", **values}).insert().name)
	return sections


def ensure_fee_heads(company: str) -> None:
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_name": "Direct Income", "is_group": 1}
	)
	heads = {head: account for head, (account, _amount) in FEE_HEADS.items()}
	for head, account_name in {**heads, LATE_FEE_HEAD: LATE_FEE_ACCOUNT}.items():
		doc = (
			frappe.get_doc("Fee Head", head)
			if frappe.db.exists("Fee Head", head)
			else frappe.new_doc("Fee Head", fee_head_name=head)
		)
		if not any(row.company == company for row in doc.accounts):
			account = ensure_income_account(company, account_name, parent)
			doc.append("accounts", {"company": company, "income_account": account})
			doc.save()


def ensure_income_account(company: str, account_name: str, parent: str) -> str:
	filters = {"company": company, "account_name": account_name, "is_group": 0}
	return (
		frappe.db.get_value("Account", filters)
		or frappe.get_doc({"doctype": "Account", **filters, "parent_account": parent}).insert().name
	)


def ensure_fee_structure(school: School) -> None:
	"""The fee group names the structure (and so the term) of the demo; made once, dated from the
	day the demo is first loaded."""
	structure = frappe.db.get_value("Fee Group", school.fee_group, "fee_structure")
	if not structure:
		issue_dates = installment_dates(school.today)
		ensure_fiscal_years(issue_dates[0], school.today)
		term = ensure_academic_term(school.abbr, issue_dates[0])
		structure = ensure_structure_of_term(school, term, issue_dates)
		frappe.get_doc(
			{
				"doctype": "Fee Group",
				"fee_group_name": school.fee_group,
				"company": school.company,
				"fee_structure": structure,
				"academic_term": term,
			}
		).insert()
	school.structure = structure
	school.term = frappe.db.get_value("Fee Structure", structure, "academic_term")
	rows = frappe.get_doc("Fee Structure", structure).installments
	school.installments = sorted(rows, key=lambda row: getdate(row.issue_date))


def installment_dates(today: date) -> list[date]:
	"""Quarterly issue dates, the third on the first of this month."""
	first = add_months(today.replace(day=1), -MONTHS_SINCE_TERM_START)
	return [add_months(first, 3 * index) for index in range(INSTALLMENT_COUNT)]


def ensure_fiscal_years(*days: date) -> None:
	"""A calendar fiscal year for each day no fiscal year covers (postings need one)."""
	for day in days:
		covered = frappe.db.exists(
			"Fiscal Year", {"year_start_date": ("<=", day), "year_end_date": (">=", day), "disabled": 0}
		)
		if not covered and not frappe.db.exists("Fiscal Year", str(day.year)):
			frappe.get_doc(
				{
					"doctype": "Fiscal Year",
					"year": str(day.year),
					"year_start_date": date(day.year, 1, 1),
					"year_end_date": date(day.year, 12, 31),
				}
			).insert()


def ensure_academic_term(abbr: str, start: date) -> str:
	name = f"{abbr} {academic_year(start)}"
	if not frappe.db.exists("Academic Term", name):
		frappe.get_doc(
			{
				"doctype": "Academic Term",
				"term_name": name,
				"academic_year": academic_year(start),
				"start_date": start,
				"end_date": add_days(add_months(start, 12), -1),
			}
		).insert()
	return name


def academic_year(start: date) -> str:
	return f"{start.year}-{(start.year + 1) % 100:02d}"


def ensure_structure_of_term(school: School, term: str, issue_dates: list[date]) -> str:
	"""Four quarterly installments, each due at the end of the month it is issued in; the library
	fee with the first; the late-fee rule."""
	structure_name = f"{school.abbr} Annual Fees {academic_year(issue_dates[0])}"
	existing = frappe.db.get_value(
		"Fee Structure", {"company": school.company, "structure_name": structure_name, "docstatus": 1}
	)
	if existing:
		return existing
	labels = [installment_label(index, issue) for index, issue in enumerate(issue_dates)]
	doc = frappe.get_doc(
		{
			"doctype": "Fee Structure",
			"structure_name": structure_name,
			"company": school.company,
			"academic_term": term,
			"proration_method": "Remaining installments",
			"components": [
				{"fee_head": head, "amount": amount} for head, (_account, amount) in FEE_HEADS.items()
			],
			"installments": [
				{"installment": label, "issue_date": issue, "due_date": get_last_day(issue), "percentage": 25}
				for label, issue in zip(labels, issue_dates, strict=True)
			],
			"component_shares": [
				{"installment": label, "fee_head": LIBRARY_FEE, "percentage": 100 if index == 0 else 0}
				for index, label in enumerate(labels)
			],
			**LATE_FEE_RULE,
		}
	)
	doc.insert()
	doc.submit()
	return doc.name


def installment_label(index: int, issue: date) -> str:
	return f"Q{index + 1} ({issue:%b}-{add_months(issue, 2):%b})"


def ensure_discounts(school: School) -> None:
	for name, discount_type, value, priority in (
		(sibling_discount(school), "Percentage", 10, 10),
		(staff_discount(school), "Amount", 3000, 20),
	):
		if not frappe.db.exists("Fee Discount", name):
			frappe.get_doc(
				{
					"doctype": "Fee Discount",
					"discount_name": name,
					"company": school.company,
					"discount_type": discount_type,
					"value": value,
					"priority": priority,
					"fee_heads": [{"fee_head": "Tuition Fee"}],
				}
			).insert()


def sibling_discount(school: School) -> str:
	return f"{school.abbr} Sibling Discount"


def staff_discount(school: School) -> str:
	return f"{school.abbr} Staff Child Concession"


def ensure_students(school: School, sections: list[str]) -> None:
	"""The forty students; adding the fee group to each makes its Draft invoices (student sync)."""
	term_start = getdate(school.installments[0].issue_date)
	late_join = add_days(getdate(school.installments[1].issue_date), 45)
	older_sibling = {younger: older for older, younger in SIBLINGS}
	for number in range(1, STUDENT_COUNT + 1):
		admission_no = f"{school.abbr}-{term_start.year}-{number:03d}"
		name = frappe.db.get_value("Student", {"company": school.company, "admission_no": admission_no})
		if not name:
			joining_date = late_join if number in LATE_JOINERS else term_start
			student = frappe.new_doc("Student")
			student.update(
				{
					"student_name": student_name(number),
					"admission_no": admission_no,
					"company": school.company,
					"class_section": sections[(number - 1) // (STUDENT_COUNT // len(sections))],
					"joining_date": joining_date,
					"guardian_name": f"Mr. / Ms. {surname(number)}",
					"guardian_email": f"guardian{number:03d}@greenvalley.example",
					"guardian_phone": f"+91-98{number:08d}",
				}
			)
			student.append("fee_groups", {"fee_group": school.fee_group, "from_date": joining_date})
			if number in older_sibling:
				student.customer = frappe.db.get_value(
					"Student", school.students[older_sibling[number]], "customer"
				)
				student.append("discounts", {"fee_discount": sibling_discount(school)})
			if number in STAFF_CHILDREN:
				student.append("discounts", {"fee_discount": staff_discount(school)})
			name = student.insert().name
		school.students[number] = name


def surname(number: int) -> str:
	"""Siblings share their older sibling's surname."""
	older = {younger: older for older, younger in SIBLINGS}.get(number, number)
	return SURNAMES[(older - 1) % len(SURNAMES)]


def student_name(number: int) -> str:
	return f"{FIRST_NAMES[number - 1]} {surname(number)}"


# ---------------------------------------------------------------- invoices


def bill_installments(school: School) -> None:
	"""Issue the student sync's drafts of the installments already begun, and delete the drafts of
	the installments to come: those are for a Billing Run to bill."""
	for row in school.unbilled:
		for name in sync_drafts(school, row.installment):
			delete_draft(name, "Demo: left for a Billing Run to bill")
	for row in school.billed:
		for name in sync_drafts(school, row.installment):
			issue_invoice(name, as_of=getdate(row.issue_date))


def sync_drafts(school: School, installment: str) -> list[str]:
	"""The Draft invoices the student sync made for an installment (none from a Billing Run)."""
	return frappe.get_all(
		"Fee Invoice",
		filters={
			"company": school.company,
			"fee_structure": school.structure,
			"installment": installment,
			"docstatus": 0,
			"is_late_fee": 0,
			"billing_run": ("is", "not set"),
		},
		order_by="name",
		pluck="name",
	)


def issued_invoice(school: School, number: int, index: int) -> frappe._dict | None:
	return frappe.db.get_value(
		"Fee Invoice",
		{
			"student": school.students[number],
			"fee_structure": school.structure,
			"installment": school.installments[index].installment,
			"is_late_fee": 0,
			"docstatus": 1,
		},
		["name", "customer", "outstanding_amount"],
		as_dict=True,
	)


# ---------------------------------------------------------------- payments


def record_payments(school: School) -> None:
	for number in school.students:
		for index, paid in enumerate(payment_plan(number)[: len(school.billed)]):
			if paid:
				extra = (
					OVERPAYMENT if number == OVERPAYING_STUDENT and index == BILLED_INSTALLMENTS - 1 else 0
				)
				receive_fees(school, number, index, paid, extra)
	use_deposit(school, DEPOSIT_STUDENT)
	apply_scholarship(school, CREDIT_STUDENT)
	refund_overpayment(school, OVERPAYING_STUDENT)


def payment_plan(number: int) -> tuple:
	return next((plan for plan, numbers in PAYMENT_PLANS if number in numbers), PAID_UP)


def receive_fees(school: School, number: int, index: int, paid, extra: float = 0) -> None:
	"""A cash receipt for one installment (`paid`: FULL or an amount), plus `extra` left as credit."""
	reference = demo_reference(school, number, f"Q{index + 1}")
	invoice = issued_invoice(school, number, index)
	if find_allocation(school, reference) or not invoice:
		return
	amount = flt(invoice.outstanding_amount) if paid == FULL else min(paid, flt(invoice.outstanding_amount))
	if amount <= 0:
		return
	make_allocation(
		school,
		"Receipt",
		number,
		reference,
		paid_on(school, index, number),
		paid_amount=amount + extra,
		mode_of_payment="Cash",
		allocations=[{"fee_invoice": invoice.name, "allocated_amount": amount}],
	)


def paid_on(school: School, index: int, number: int) -> date:
	"""A few days after the installment was issued (and not after today)."""
	issued = getdate(school.installments[index].issue_date)
	return min(issued + timedelta(days=2 + number % 9), school.today)


def use_deposit(school: School, number: int) -> None:
	"""A security deposit taken on the first day, part of it used for the current installment."""
	reference = demo_reference(school, number, "DEPOSIT")
	deposit = frappe.db.get_value(
		"Deposit", {"company": school.company, "reference_no": reference, "docstatus": 1}
	)
	if not deposit:
		deposit = submit(
			{
				"doctype": "Deposit",
				"company": school.company,
				"student": school.students[number],
				"deposit_type": "Security",
				"amount": DEPOSIT_AMOUNT,
				"posting_date": getdate(school.installments[0].issue_date),
				"mode_of_payment": "Cash",
				"reference_no": reference,
				"description": "Refundable security deposit",
			}
		).name
	apply_to_current_installment(school, number, "Apply Deposit", "Deposit", deposit, DEPOSIT_USED)


def apply_scholarship(school: School, number: int) -> None:
	"""A merit scholarship as a Credit Note, applied to the current installment."""
	reason = "Merit scholarship for the second half of the term"
	filters = {
		"company": school.company,
		"student": school.students[number],
		"reason": reason,
		"docstatus": 1,
	}
	credit_note = frappe.db.get_value("Credit Note", filters)
	if not credit_note:
		credit_note = submit(
			{
				"doctype": "Credit Note",
				**filters,
				"amount": SCHOLARSHIP,
				"reason_type": "Scholarship",
				"posting_date": current_installment_date(school, days=2),
			}
		).name
	apply_to_current_installment(school, number, "Apply Credit", "Credit Note", credit_note, SCHOLARSHIP)


def apply_to_current_installment(school, number, allocation_type, source_doctype, source, amount) -> None:
	reference = demo_reference(school, number, allocation_type.upper().replace(" ", "-"))
	invoice = issued_invoice(school, number, BILLED_INSTALLMENTS - 1)
	if find_allocation(school, reference) or not invoice:
		return
	make_allocation(
		school,
		allocation_type,
		number,
		reference,
		current_installment_date(school, days=5),
		source_doctype=source_doctype,
		source_name=source,
		allocations=[{"fee_invoice": invoice.name, "allocated_amount": amount}],
	)


def refund_overpayment(school: School, number: int) -> None:
	"""What a family paid above the current installment, paid back in cash."""
	receipt = find_allocation(school, demo_reference(school, number, f"Q{BILLED_INSTALLMENTS}"))
	reference = demo_reference(school, number, "REFUND")
	if not receipt or find_allocation(school, reference):
		return
	make_allocation(
		school,
		"Refund",
		number,
		reference,
		current_installment_date(school, days=12),
		paid_amount=OVERPAYMENT,
		mode_of_payment="Cash",
		source_doctype="Payment Allocation",
		source_name=receipt,
	)


def current_installment_date(school: School, days: int) -> date:
	issued = getdate(school.installments[BILLED_INSTALLMENTS - 1].issue_date)
	return min(issued + timedelta(days=days), school.today)


def demo_reference(school: School, number: int, what: str) -> str:
	"""The reference number that makes a demo payment findable on the next run."""
	return f"DEMO-{school.abbr}-{number:03d}-{what}"


def find_allocation(school: School, reference: str) -> str | None:
	return frappe.db.get_value(
		"Payment Allocation", {"company": school.company, "reference_no": reference, "docstatus": 1}
	)


def make_allocation(school, allocation_type, number, reference, posting_date, **values):
	return submit(
		{
			"doctype": "Payment Allocation",
			"allocation_type": allocation_type,
			"company": school.company,
			"student": school.students[number],
			"customer": frappe.db.get_value("Student", school.students[number], "customer"),
			"posting_date": posting_date,
			"reference_no": reference,
			"reference_date": posting_date,
			**values,
		}
	)


def submit(values: dict):
	doc = frappe.get_doc(values)
	doc.insert()
	doc.submit()
	return doc


# ---------------------------------------------------------------- the daily jobs, and the summary


def run_daily_jobs(school: School) -> None:
	"""What the scheduler does every day, as of today: past-due invoices become Overdue, and
	those past the grace days are charged the structure's late fee."""
	mark_overdue_invoices(as_of=school.today, company=school.company)
	apply_late_fees(as_of=school.today, company=school.company)


DOCUMENT_DOCTYPES = ("Student", "Fee Invoice", "Payment Allocation", "Credit Note", "Deposit")


def document_counts(company: str) -> dict[str, int]:
	"""Live (not cancelled) documents of the school, by DocType."""
	return {
		doctype: frappe.db.count(doctype, {"company": company, "docstatus": ("<", 2)})
		for doctype in DOCUMENT_DOCTYPES
	}


def invoice_statuses(company: str) -> dict[str, int]:
	rows = frappe.get_all(
		"Fee Invoice",
		filters={"company": company, "is_late_fee": 0, "docstatus": ("<", 2)},
		fields=["status", "count(*) as count"],
		group_by="status",
	)
	return {row.status: row.count for row in rows}


def print_summary(school: School, before: dict[str, int]) -> None:
	after = document_counts(school.company)
	created = {
		doctype: after[doctype] - before[doctype] for doctype in after if after[doctype] > before[doctype]
	}
	statuses = invoice_statuses(school.company)
	payments = frappe.get_all(
		"Payment Allocation",
		filters={"company": school.company, "docstatus": 1},
		fields=["allocation_type", "count(*) as count"],
		group_by="allocation_type",
	)
	deposits = frappe.get_all(
		"Deposit", filters={"company": school.company, "docstatus": 1}, fields=["amount", "remaining_amount"]
	)
	currency = frappe.get_cached_value("Company", school.company, "default_currency")
	term = frappe.db.get_value("Academic Term", school.term, ["start_date", "end_date"], as_dict=True)
	print(
		f"Demo school {school.company}: term {school.term} ({term.start_date} to {term.end_date}), "
		f"fee structure {school.structure}, fee group {school.fee_group}"
	)
	print(
		"  created now: "
		+ (
			", ".join(f"{count} {doctype}" for doctype, count in created.items())
			or "nothing (already loaded)"
		)
	)
	print(
		"  installment invoices: "
		+ ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
	)
	print(f"  late-fee invoices: {late_fee_count(school.company)}")
	print("  payment allocations: " + ", ".join(f"{row.count} {row.allocation_type}" for row in payments))
	print(f"  credit notes: {frappe.db.count('Credit Note', {'company': school.company, 'docstatus': 1})}")
	for deposit in deposits:
		print(
			f"  deposit: {fmt_money(deposit.amount, currency=currency)}, "
			f"{fmt_money(deposit.remaining_amount, currency=currency)} still held"
		)
	for row in school.unbilled:
		print(
			f"  not billed yet: {row.installment} (issue date {row.issue_date}): "
			f"bill it with a Billing Run of {school.structure}"
		)


def late_fee_count(company: str) -> int:
	return frappe.db.count("Fee Invoice", {"company": company, "is_late_fee": 1, "docstatus": 1})
