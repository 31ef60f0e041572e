"""Benchmark: a Receipt over 12 fee invoices against an ERPNext Payment Entry over 12 Sales Invoices.

Run on a site (it commits; everything lives in the company "Benchmark School", dated 2029):

	cd ~/frappe-bench/sites
	../env/bin/python -m frappe.utils.bench_helper frappe --site SITE \\
		execute school_fees.benchmarks.receipts.run --kwargs "{'students': 20}"

Setup (untimed): the shared masters of ``benchmarks/common.py`` (with Fiscal Years covering 2029
added when the site lacks them), a Fee Structure with 12 monthly installments, N fresh students
billed through a Billing Run (``run_billing``: 12 submitted Fee Invoices each), N more fresh
students in a second class section who are never billed, and for each of their customers 12
submitted Sales Invoices with the amounts of the paired billed student's Fee Invoices (same dates,
one line per fee head at its net amount, debit_to the fee receivable account, INR price list). The
two sides thus have the same shape but separate customers: neither side's documents are in the
other side's way.

Timed, alternately one of each (so drift over the run hits both sides alike):

- per billed student, one Receipt: a ``Payment Allocation`` of type Receipt, mode of payment Cash
  (paid_to the company's cash account), paid_amount = the sum of the 12 outstanding amounts,
  allocations left empty so it fills them oldest due first;
- per Sales Invoice customer, one ERPNext ``Payment Entry``: Receive from the Customer, paid_from
  the fee receivable, paid_to the cash account, 12 references to its Sales Invoices, each allocated
  its outstanding amount.

Each document is timed on its own with ``time.perf_counter`` around ``get_doc`` + ``insert`` +
``submit``. The commit after each document is OUTSIDE the timing, on both sides. Printed: per side
the median, mean, min, p90 and max in ms (and the per-document list for up to 50 documents); the
last line is ``ratio_vs_payment_entry=<x>`` (Payment Entry median / Receipt median, one decimal).
After the run every receipt must have left its student's 12 Fee Invoices Paid (status "Paid",
outstanding 0) and every Payment Entry its 12 Sales Invoices at outstanding 0; otherwise it throws.

``profile=True`` (e.g. ``{'students': 6, 'profile': True}``) bills the students and, after one
untimed warm-up receipt, runs the other receipts under cProfile with every ``frappe.db.sql`` call
timed; it prints the 25 entries with the highest cumulative time that are school_fees code or SQL
(frappe/database), the top other frappe/erpnext entries, and the query shapes by total time. No
Payment Entry side then.
"""

import cProfile
import pstats
import re
import statistics
import time

import frappe
from frappe.utils import flt

from school_fees.benchmarks import common
from school_fees.benchmarks.common import COMPANY, run_billing

YEAR = 2029
TERM = "Benchmark Term 2029"
STRUCTURE_NAME = "Benchmark Monthly 2029"
MONTHS = 12
# (label, issue date, due date, percentage): 4 x 9% + 8 x 8% = 100%
INSTALLMENTS = [
	(f"M{m:02d}", f"{YEAR}-{m:02d}-01", f"{YEAR}-{m:02d}-15", 9 if m <= 4 else 8)
	for m in range(1, MONTHS + 1)
]
POSTING_DATE = f"{YEAR}-12-20"


def run(students: int = 20, profile: bool = False):
	students = int(students)
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	structure = ensure_masters()
	paid_to = common.cash_account()

	# setup, untimed: the billed students and their receipts
	started = time.monotonic()
	tag = common.new_tag()
	section = common.make_section(tag)
	billed = common.make_students(students, section, tag, f"{YEAR}-01-01")
	billing_run = common.make_billing_run(TERM, structure, section, INSTALLMENTS[0][1], tag)
	run_billing(billing_run)
	common.check_billed(billing_run, students * MONTHS)
	receipts = [receipt_spec(billing_run, student, paid_to) for student in billed]
	print(
		f"setup: {students} students billed by {billing_run} ({students * MONTHS} fee invoices) "
		f"in class section {section} ({time.monotonic() - started:.1f}s)"
	)
	if profile:
		profile_receipts(receipts)
		return

	# setup, untimed: as many other students' customers, each with 12 Sales Invoices
	started = time.monotonic()
	si_tag = common.new_tag()
	others = common.make_students(students, common.make_section(si_tag), si_tag, f"{YEAR}-01-01")
	customer_of = dict(
		frappe.get_all("Student", filters={"name": ("in", others)}, fields=["name", "customer"], as_list=True)
	)
	customers = [customer_of[name] for name in others]
	common.make_sales_invoices(
		common.sales_invoice_specs(billing_run, billed, dict(zip(billed, customers, strict=True)))
	)
	entries = [payment_entry_spec(customer, paid_to) for customer in customers]
	print(
		f"setup: {students * MONTHS} sales invoices for {students} customers "
		f"({time.monotonic() - started:.1f}s)"
	)

	# timed, alternately: one receipt, one payment entry (commit after each, outside the timing)
	receipt_ms, entry_ms, receipt_names, entry_names = [], [], [], []
	for receipt, entry in zip(receipts, entries, strict=True):
		name, ms = timed(receipt)
		receipt_names.append(name)
		receipt_ms.append(ms)
		name, ms = timed(entry)
		entry_names.append(name)
		entry_ms.append(ms)

	verify_receipts(receipt_names)
	verify_payment_entries(entry_names)
	print(
		f"verified: {len(receipt_names)} receipts and {len(entry_names)} payment entries settled {MONTHS} invoices each"
	)
	print(summary(f"receipt (Payment Allocation, {MONTHS} fee invoices)", receipt_ms))
	print(summary(f"payment entry ({MONTHS} sales invoices)", entry_ms))
	receipt_median, entry_median = statistics.median(receipt_ms), statistics.median(entry_ms)
	print(f"median receipt {receipt_median:.1f} ms, median payment entry {entry_median:.1f} ms")
	print(f"ratio_vs_payment_entry={entry_median / receipt_median:.1f}")


# ---------------------------------------------------------------- the documents


def receipt_spec(billing_run: str, student: str, paid_to: str) -> dict:
	"""A Receipt paying the student's 12 open fee invoices in full, allocations left to the app."""
	invoices = frappe.get_all(
		"Fee Invoice",
		filters={"billing_run": billing_run, "student": student, "docstatus": 1},
		fields=["customer", "outstanding_amount"],
	)
	if len(invoices) != MONTHS or any(flt(i.outstanding_amount) <= 0 for i in invoices):
		frappe.throw(f"Student {student} does not have {MONTHS} open fee invoices: {invoices}")
	return {
		"doctype": "Payment Allocation",
		"allocation_type": "Receipt",
		"company": COMPANY,
		"posting_date": POSTING_DATE,
		"customer": invoices[0].customer,
		"student": student,
		"mode_of_payment": common.CASH,
		"paid_to": paid_to,
		"paid_amount": flt(sum(flt(i.outstanding_amount) for i in invoices), 2),
	}


def payment_entry_spec(customer: str, paid_to: str) -> dict:
	"""A Payment Entry receiving the customer's 12 open Sales Invoices in full."""
	invoices = frappe.get_all(
		"Sales Invoice",
		filters={"company": COMPANY, "customer": customer, "docstatus": 1},
		fields=["name", "outstanding_amount"],
		order_by="posting_date, name",
	)
	if len(invoices) != MONTHS or any(flt(i.outstanding_amount) <= 0 for i in invoices):
		frappe.throw(f"Customer {customer} does not have {MONTHS} open sales invoices: {invoices}")
	total = flt(sum(flt(i.outstanding_amount) for i in invoices), 2)
	return {
		"doctype": "Payment Entry",
		"payment_type": "Receive",
		"company": COMPANY,
		"posting_date": POSTING_DATE,
		"mode_of_payment": common.CASH,
		"party_type": "Customer",
		"party": customer,
		"paid_from": common.receivable_account(),
		"paid_from_account_currency": "INR",
		"paid_to": paid_to,
		"paid_to_account_currency": "INR",
		"paid_amount": total,
		"received_amount": total,
		"source_exchange_rate": 1,
		"target_exchange_rate": 1,
		"references": [
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": invoice.name,
				"allocated_amount": flt(invoice.outstanding_amount),
			}
			for invoice in invoices
		],
	}


def timed(spec: dict) -> tuple[str, float]:
	"""Insert and submit one document, timed (ms); commit afterwards, untimed."""
	started = time.perf_counter()
	doc = frappe.get_doc(dict(spec))
	doc.insert()
	doc.submit()
	ms = (time.perf_counter() - started) * 1000
	frappe.db.commit()
	return doc.name, ms


# ---------------------------------------------------------------- checks and output


def verify_receipts(names: list[str]) -> None:
	for name in names:
		invoices = frappe.get_all(
			"Payment Allocation Item",
			filters={"parenttype": "Payment Allocation", "parent": name},
			pluck="fee_invoice",
		)
		rows = frappe.get_all(
			"Fee Invoice",
			filters={"name": ("in", invoices or ["-"])},
			fields=["name", "status", "outstanding_amount"],
		)
		bad = [r for r in rows if r.status != "Paid" or flt(r.outstanding_amount, 2) != 0]
		if len(set(invoices)) != MONTHS or len(rows) != MONTHS or bad:
			frappe.throw(
				f"Receipt {name} did not pay its {MONTHS} fee invoices: {len(rows)} found, unpaid {bad}"
			)


def verify_payment_entries(names: list[str]) -> None:
	for name in names:
		invoices = frappe.get_all(
			"Payment Entry Reference",
			filters={"parenttype": "Payment Entry", "parent": name, "reference_doctype": "Sales Invoice"},
			pluck="reference_name",
		)
		rows = frappe.get_all(
			"Sales Invoice",
			filters={"name": ("in", invoices or ["-"])},
			fields=["name", "status", "outstanding_amount"],
		)
		bad = [r for r in rows if flt(r.outstanding_amount, 2) != 0]
		if len(set(invoices)) != MONTHS or len(rows) != MONTHS or bad:
			frappe.throw(
				f"Payment Entry {name} did not settle its {MONTHS} sales invoices: {len(rows)} found, open {bad}"
			)


def summary(label: str, ms: list[float]) -> str:
	ordered = sorted(ms)
	p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
	line = (
		f"{label}: n={len(ms)} median {statistics.median(ms):.1f} ms, mean {statistics.mean(ms):.1f}, "
		f"min {ordered[0]:.1f}, p90 {p90:.1f}, max {ordered[-1]:.1f}"
	)
	if len(ms) <= 50:
		line += f"\n  per document (ms, in order): {', '.join(f'{x:.0f}' for x in ms)}"
	return line


# ---------------------------------------------------------------- profile


def profile_receipts(specs: list[dict], top: int = 25) -> None:
	"""One untimed warm-up receipt, then the others under cProfile with each SQL call timed."""
	if len(specs) < 2:
		frappe.throw("profile needs at least 2 students (the first receipt is a warm-up)")
	timed(specs[0])
	queries: dict[str, list[float]] = {}
	original_sql = frappe.db.sql

	def logged_sql(query, *args, **kwargs):
		started = time.perf_counter()
		try:
			return original_sql(query, *args, **kwargs)
		finally:
			shape = query_shape(str(query))
			queries.setdefault(shape, []).append(time.perf_counter() - started)

	profiler = cProfile.Profile()
	total_ms = []
	frappe.db.sql = logged_sql
	try:
		for spec in specs[1:]:
			started = time.perf_counter()
			profiler.enable()
			doc = frappe.get_doc(dict(spec))
			doc.insert()
			doc.submit()
			profiler.disable()
			total_ms.append((time.perf_counter() - started) * 1000)
			frappe.db.commit()
	finally:
		del frappe.db.sql
	receipts = len(total_ms)
	print(
		f"profiled {receipts} receipts: {statistics.median(total_ms):.1f} ms median under the profiler "
		f"({', '.join(f'{x:.0f}' for x in total_ms)})"
	)

	stats = pstats.Stats(profiler).stats
	ours = [
		item
		for item in stats.items()
		if ("school_fees" in item[0][0] and "/benchmarks/" not in item[0][0])
		or "/frappe/database/" in item[0][0]
	]
	print_entries(
		f"top {top} by cumulative time, school_fees code or SQL (frappe/database)", ours, receipts, top
	)
	others = [item for item in stats.items() if "/erpnext/" in item[0][0] or "/frappe/frappe/" in item[0][0]]
	others = [item for item in others if "/frappe/database/" not in item[0][0]]
	print_entries("for context, the top 15 other frappe/erpnext entries", others, receipts, 15)

	count = sum(len(times) for times in queries.values())
	seconds = sum(sum(times) for times in queries.values())
	print(
		f"SQL: {count / receipts:.0f} frappe.db.sql calls per receipt, {seconds * 1000 / receipts:.1f} ms per "
		f"receipt (under the profiler); by total time:"
	)
	for shape, times in sorted(queries.items(), key=lambda item: sum(item[1]), reverse=True)[:top]:
		print(f"  {len(times) / receipts:6.1f} x {sum(times) * 1000 / receipts:7.2f} ms  {shape}")


def print_entries(title: str, entries: list, receipts: int, top: int) -> None:
	print(f"{title} (per receipt: calls, own ms, cumulative ms):")
	entries = sorted(entries, key=lambda item: item[1][3], reverse=True)
	for (filename, line, function), (_cc, calls, own, cumulative, _callers) in entries[:top]:
		print(
			f"  {calls / receipts:7.1f} {own * 1000 / receipts:8.2f} {cumulative * 1000 / receipts:8.2f}  "
			f"{short_path(filename)}:{line}({function})"
		)


def query_shape(query: str) -> str:
	query = re.sub(r"'(?:[^'\\]|\\.)*'", "?", query)
	query = re.sub(r"\b\d+(?:\.\d+)?\b", "?", query)
	return re.sub(r"\s+", " ", query).strip()[:160]


def short_path(filename: str) -> str:
	for marker in ("/school_fees/", "/frappe/", "/erpnext/", "/site-packages/"):
		if marker in filename:
			return marker.strip("/") + "/" + filename.split(marker, 1)[1]
	return filename


# ---------------------------------------------------------------- setup (idempotent)


def ensure_masters() -> str:
	"""The shared masters (common.ensure_common, fiscal years covering every 2029 date used), the
	2029 term and the 12-installment structure. Returns the structure."""
	dates = [f"{YEAR}-01-01", f"{YEAR}-12-31", POSTING_DATE]
	dates += [d for _label, issue, due, _p in INSTALLMENTS for d in (issue, due)]
	common.ensure_common(dates)
	common.ensure_term(TERM, YEAR)
	frappe.db.commit()
	return common.ensure_structure(STRUCTURE_NAME, TERM, INSTALLMENTS)
