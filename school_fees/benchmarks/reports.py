"""Benchmark: the Student Balances report against ERPNext's Accounts Receivable Summary for one school.

Run on a site (it commits; everything lives in the company "Benchmark School", dated 2030):

	cd ~/frappe-bench/sites
	../env/bin/python -m frappe.utils.bench_helper frappe --site SITE \\
		execute school_fees.benchmarks.reports.run --kwargs "{'students': 5000}"

Setup (untimed, once per size): the shared masters of ``benchmarks/common.py`` (with Fiscal Years
covering 2030 added when the site lacks them), a Fee Structure with 8 installments, a class section
of its own (``B`` + ``RPT<N>``) with N fresh students billed through a Billing Run (``run_billing``,
the bulk path: 8 submitted Fee Invoices each), and on every other student a Receipt (a ``Payment
Allocation`` document, allocations left to the app) paying their first four installments; every
20th student also gets a Credit Note and every 25th a Deposit, so the credit and deposit readers have
rows to find. Building 5,000 students takes a while, so a later run for the same N finds the section
complete and reuses it (``fresh=True`` builds another); ``receipts=False`` skips the receipts.

Timed, on the same site in one run, each ``repeat`` times (default 3) after one untimed warm-up,
alternately (so drift hits every side alike), for the whole school as of 2030-12-31:

- Student Balances: its ``execute`` (every student, all five figures);
- the Fee Invoice Register: ``execute`` for every invoice, and with has_outstanding for the section;
- ERPNext's Accounts Receivable Summary: its ``execute`` with the desk's default filters.

The school holds whatever other benchmarks left in it too (their students, fee invoices, and Sales
Invoices that only ERPNext's report reads); the counts are printed. Printed: per report the median,
min and max in ms, and last ``ratio_vs_ar_summary=<x>`` (AR Summary median / Student Balances
median, one decimal).
"""

import statistics
import time

import frappe
from frappe.utils import flt

from school_fees.benchmarks import common
from school_fees.benchmarks.common import COMPANY, run_billing

YEAR = 2030
TERM = "Benchmark Term 2030"
STRUCTURE_NAME = "Benchmark Eight Installments 2030"
# (label, issue date, due date, percentage): one a month, January to August, 8 x 12.5% = 100%
INSTALLMENTS = [(f"I{m}", f"{YEAR}-{m:02d}-01", f"{YEAR}-{m:02d}-15", 12.5) for m in range(1, 9)]
RECEIPT_DATE = f"{YEAR}-12-01"
REPORT_DATE = f"{YEAR}-12-31"
PAID_INSTALLMENTS = 4
COMMIT_EVERY = 50


def run(students: int = 5000, repeat: int = 3, fresh: bool = False, receipts: bool = True):
	students, repeat = int(students), int(repeat)
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	section = ensure_school_of(students, fresh=fresh, receipts=receipts)
	describe_school(section)

	timings: dict[str, list[float]] = {}
	for round_no in range(repeat + 1):
		for label, report in reports(section).items():
			started = time.perf_counter()
			rows = report()
			ms = (time.perf_counter() - started) * 1000
			frappe.db.rollback()  # nothing to keep; ends the read snapshot like a new request would
			if round_no:  # round 0 warms the caches
				timings.setdefault(label, []).append(ms)
			else:
				print(f"{label}: {rows} rows")

	for label, values in timings.items():
		print(
			f"{label}: median {statistics.median(values):.0f} ms, min {min(values):.0f} ms, "
			f"max {max(values):.0f} ms over {len(values)} runs"
		)
	balances_ms = statistics.median(timings["Student Balances"])
	ar_ms = statistics.median(timings["Accounts Receivable Summary"])
	print(f"median Student Balances {balances_ms:.0f} ms, median AR Summary {ar_ms:.0f} ms")
	print(f"ratio_vs_ar_summary={ar_ms / balances_ms:.1f}")


# ---------------------------------------------------------------- what is timed


def reports(section: str) -> dict:
	"""label -> a callable running the report and returning its row count."""
	from school_fees.school_fees.report.student_balances.student_balances import execute as student_balances

	def balances():
		return len(student_balances(frappe._dict(company=COMPANY, to_date=REPORT_DATE))[1])

	def ar_summary():
		from erpnext.accounts.report.accounts_receivable_summary.accounts_receivable_summary import execute

		filters = frappe._dict(
			company=COMPANY,
			report_date=REPORT_DATE,
			ageing_based_on="Due Date",
			calculate_ageing_with="Report Date",
			range="30, 60, 90, 120",
		)
		return len(execute(filters)[1])

	timed = {"Student Balances": balances}
	register = fee_invoice_register()
	if register:
		timed["Fee Invoice Register (all)"] = lambda: len(register(frappe._dict(company=COMPANY))[1])
		timed["Fee Invoice Register (has_outstanding, one section)"] = lambda: len(
			register(frappe._dict(company=COMPANY, class_section=section, has_outstanding="Yes"))[1]
		)
	timed["Accounts Receivable Summary"] = ar_summary
	return timed


def fee_invoice_register():
	"""The Fee Invoice Register's execute, when the app has the report (another part of the
	reports work); None otherwise."""
	try:
		from school_fees.school_fees.report.fee_invoice_register.fee_invoice_register import execute
	except ImportError:
		print("Fee Invoice Register: not in this checkout, not timed")
		return None
	return execute


def describe_school(section: str) -> None:
	def count(doctype, **filters):
		return frappe.db.count(doctype, {"company": COMPANY, **filters})

	print(
		f"school {COMPANY}: {count('Student')} students, {count('Fee Invoice', docstatus=1)} submitted fee "
		f"invoices, {count('Payment Allocation', docstatus=1)} payment allocations, "
		f"{count('Sales Invoice', docstatus=1)} sales invoices, {count('Payment Ledger Entry')} payment "
		f"ledger rows; this benchmark's section {section}: "
		f"{frappe.db.count('Student', {'class_section': section})} students"
	)


# ---------------------------------------------------------------- setup (untimed)


def ensure_school_of(students: int, fresh: bool = False, receipts: bool = True) -> str:
	"""The class section of `students` billed students (and their receipts), built when missing.
	Returns its name."""
	structure = ensure_masters()
	tag = common.new_tag() if fresh else f"RPT{students}"
	section = frappe.db.get_value("Class Section", {"company": COMPANY, "section": f"B{tag}"})
	if section and is_complete(section, students, receipts):
		print(f"setup: reusing class section {section} ({students} students, billed)")
		return section
	if section:
		frappe.throw(
			f"Class section {section} exists but is not complete (an earlier run stopped half-way): "
			"run with fresh=True"
		)

	started = time.monotonic()
	section = common.make_section(tag)
	names = common.make_students(students, section, tag, f"{YEAR}-01-01")
	print(f"setup: {students} students in {section} ({time.monotonic() - started:.0f}s)")

	started = time.monotonic()
	billing_run = common.make_billing_run(TERM, structure, section, INSTALLMENTS[0][1], tag)
	run_billing(billing_run)
	common.check_billed(billing_run, students * len(INSTALLMENTS))
	print(
		f"setup: {students * len(INSTALLMENTS)} fee invoices by {billing_run} "
		f"({time.monotonic() - started:.0f}s)"
	)

	if receipts:
		started = time.monotonic()
		made = make_receipts(billing_run, names[::2])
		print(
			f"setup: {made} receipts of {PAID_INSTALLMENTS} installments ({time.monotonic() - started:.0f}s)"
		)
	started = time.monotonic()
	made = make_credit_and_deposits(names)
	print(f"setup: {made} credit notes and deposits ({time.monotonic() - started:.0f}s)")
	return section


def ensure_masters() -> str:
	common.ensure_common([f"{YEAR}-01-01", f"{YEAR}-12-31"])
	common.ensure_term(TERM, YEAR)
	return common.ensure_structure(STRUCTURE_NAME, TERM, INSTALLMENTS)


def is_complete(section: str, students: int, receipts: bool) -> bool:
	billed = frappe.db.count("Fee Invoice", {"class_section": section, "docstatus": 1})
	complete = frappe.db.count(
		"Student", {"class_section": section}
	) == students and billed == students * len(INSTALLMENTS)
	if complete and receipts:
		customers = frappe.get_all("Student", filters={"class_section": section}, pluck="customer")
		paid = frappe.db.count(
			"Payment Allocation",
			{"company": COMPANY, "allocation_type": "Receipt", "docstatus": 1, "customer": ("in", customers)},
		)
		complete = paid == (students + 1) // 2
	return complete


def make_receipts(billing_run: str, students: list[str]) -> int:
	"""A Receipt per student paying their first PAID_INSTALLMENTS invoices (the app allocates it,
	oldest due first). Commits every COMMIT_EVERY receipts."""
	paid_to = common.cash_account()
	due: dict[str, list] = {}
	for row in frappe.get_all(
		"Fee Invoice",
		filters={"billing_run": billing_run, "student": ("in", students), "docstatus": 1},
		fields=["student", "customer", "due_date", "outstanding_amount"],
		order_by="student, due_date, name",
	):
		due.setdefault(row.student, []).append(row)
	for i, student in enumerate(students, start=1):
		first = due[student][:PAID_INSTALLMENTS]
		frappe.get_doc(
			{
				"doctype": "Payment Allocation",
				"allocation_type": "Receipt",
				"company": COMPANY,
				"posting_date": RECEIPT_DATE,
				"customer": first[0].customer,
				"student": student,
				"mode_of_payment": common.CASH,
				"paid_to": paid_to,
				"paid_amount": flt(sum(flt(row.outstanding_amount) for row in first), 2),
			}
		).insert().submit()
		if i % COMMIT_EVERY == 0:
			frappe.db.commit()
	frappe.db.commit()
	return len(students)


def make_credit_and_deposits(students: list[str]) -> int:
	"""A Credit Note of 500 for every 20th student and a Deposit of 2,000 for every 25th. Commits."""
	made = 0
	for i, student in enumerate(students):
		docs = []
		if i % 20 == 0:
			docs.append({"doctype": "Credit Note", "amount": 500, "reason_type": "Concession"})
		if i % 25 == 0:
			docs.append(
				{
					"doctype": "Deposit",
					"amount": 2000,
					"deposit_type": "Security",
					"mode_of_payment": common.CASH,
				}
			)
		for values in docs:
			frappe.get_doc(
				{**values, "company": COMPANY, "student": student, "posting_date": RECEIPT_DATE}
			).insert().submit()
			made += 1
		if i % COMMIT_EVERY == 0:
			frappe.db.commit()
	frappe.db.commit()
	return made
