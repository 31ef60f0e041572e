"""Benchmark: a Billing Run against the same invoices made as ERPNext Sales Invoices.

Run on a site (it commits; everything lives in its own company, "Benchmark School"):

	cd ~/frappe-bench/sites
	../env/bin/python -m frappe.utils.bench_helper frappe --site SITE \\
		execute school_fees.benchmarks.billing_run.run --kwargs "{'students': 500}"

Kwargs: ``students`` (fresh students billed, 4 installments each), ``si_students`` (how many of
them are also invoiced as Sales Invoices; default all of them: the Sales Invoice path runs at a few
invoices/s, so sample it for big runs; 0 skips it), ``batch_size`` (of the billing job),
``trace_memory`` (default on: after the timed phases, an untimed pass over as many fresh students,
and ``memory_si_students`` students' Sales Invoices, runs under tracemalloc for the memory peaks;
tracing is kept out of the timed phases because it slows the Python-bound billing job far more than
the database-bound Sales Invoice path).

Every phase also reports its own peak RSS (the kernel's high-water mark, reset before the phase)
and the process's ru_maxrss.

Phase 1 bills the students through a Billing Run (``run_billing`` in-process, timed end to end
including its commits). Phase 2 creates, for the first ``si_students`` students, one Sales Invoice
per Fee Invoice the run created: the same customer, dates, amounts (one line per fee head at its net
amount), income accounts and cost centers, debit_to the fee receivable account; insert + submit
each, one commit at the end, timed. The last line printed is ``ratio_vs_sales_invoice=<x>``.
"""

import resource
import time
import tracemalloc

import frappe
from frappe.utils import add_days, flt

from school_fees.billing import run_billing
from school_fees.setup.schools import ensure_school

COMPANY = "Benchmark School"
ABBR = "BMS"
TERM = "Benchmark Term 2028"
GRADE = "Benchmark Grade"
STRUCTURE_NAME = "Benchmark Structure 2028"
# fee head -> (amount for the term, income account name)
COMPONENTS = {
	"Benchmark Tuition": (48000, "Tuition Fees"),
	"Benchmark Transport": (12000, "Transport Fees"),
	"Benchmark Library": (2400, "Library Fees"),
}
INSTALLMENTS = [("Q1", "2028-01-03"), ("Q2", "2028-04-03"), ("Q3", "2028-07-03"), ("Q4", "2028-10-02")]
DISCOUNT = "Benchmark Sibling 10%"
# An INR price list: with the site's USD "Standard Selling" every Sales Invoice would look up an
# exchange rate over the network (5 s each time the lookup times out offline)
PRICE_LIST = "Benchmark Selling INR"


def run(
	students: int = 500,
	si_students: int | None = None,
	batch_size: int = 200,
	trace_memory: bool = True,
	memory_si_students: int = 10,
):
	students, batch_size = int(students), int(batch_size)
	si_students = students if si_students is None else min(int(si_students), students)
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	structure = ensure_masters()

	# phase 1: the billing run (timed, no tracing)
	billing_run, names = prepare_run(structure, students)
	billing = measure(lambda: run_billing(billing_run, batch_size=batch_size))
	created = check_billed(billing_run, students)
	billing_rate = created / billing.seconds
	print(
		f"billing run {billing_run}: {created} invoices for {students} students in {billing.seconds:.2f}s "
		f"-> {billing_rate:.1f} invoices/s (batch_size {batch_size}); {billing.memory}"
	)

	# phase 2: the same invoices as Sales Invoices (timed, no tracing)
	si_rate = None
	if si_students:
		specs = sales_invoice_specs(billing_run, names[:si_students])
		si = measure(lambda: make_sales_invoices(specs))
		si_rate = len(specs) / si.seconds
		sampled = (
			f" (SAMPLED: the first {si_students} of {students} students)" if si_students < students else ""
		)
		print(
			f"sales invoices: {len(specs)} invoices{sampled} in {si.seconds:.2f}s -> {si_rate:.2f} invoices/s; "
			f"{si.memory}"
		)
	else:
		print("sales invoices: skipped (si_students=0)")

	# memory pass: tracemalloc slows Python several times over (the billing job far more than the
	# database-bound Sales Invoice path), so the peaks are taken on a second, untimed pass
	if trace_memory:
		memory_run, memory_names = prepare_run(structure, students)
		traced = measure(lambda: run_billing(memory_run, batch_size=batch_size), trace=True)
		check_billed(memory_run, students)
		print(f"memory, billing run of {students} students (untimed pass): {traced.memory}")
		sample = min(int(memory_si_students), si_students)
		if sample:
			specs = sales_invoice_specs(memory_run, memory_names[:sample])
			traced = measure(lambda: make_sales_invoices(specs), trace=True)
			print(f"memory, {len(specs)} sales invoices (untimed pass): {traced.memory}")

	if si_rate:
		print(f"ratio_vs_sales_invoice={billing_rate / si_rate:.1f}")


def prepare_run(structure: str, students: int) -> tuple[str, list[str]]:
	"""Fresh students in a class section of their own, and a Draft Billing Run for it."""
	started = time.monotonic()
	tag = frappe.generate_hash(length=6).upper()
	section = make_section(tag)
	names = make_students(students, section, tag)
	run_doc = frappe.get_doc(
		{
			"doctype": "Billing Run",
			"company": COMPANY,
			"academic_term": TERM,
			"fee_structure": structure,
			"scope": "Class Section",
			"class_section": section,
			"posting_date": INSTALLMENTS[0][1],
			"issue_invoices": 1,
			"reference": f"Benchmark {tag}",
		}
	).insert()
	frappe.db.commit()
	print(f"setup: {students} students in class section {section} ({time.monotonic() - started:.1f}s)")
	return run_doc.name, names


def check_billed(billing_run: str, students: int) -> int:
	run_doc = frappe.get_doc("Billing Run", billing_run)
	if run_doc.status != "Completed" or run_doc.created_count != students * len(INSTALLMENTS):
		frappe.throw(
			f"Billing Run {billing_run} did not bill everybody: {run_doc.status}, "
			f"{run_doc.created_count} invoices, {[e.error for e in run_doc.errors][:3]}"
		)
	return run_doc.created_count


class Measured:
	def __init__(self, seconds: float, memory: str):
		self.seconds, self.memory = seconds, memory


def measure(work, trace: bool = False) -> Measured:
	"""Time `work`; report its tracemalloc peak, the peak RSS of the phase alone (Linux: the
	high-water mark is reset before the phase) and the process's ru_maxrss after it."""
	phase_rss = reset_peak_rss()
	if trace:
		tracemalloc.start()
	started = time.perf_counter()
	work()
	seconds = time.perf_counter() - started
	memory = []
	if trace:
		memory.append(f"tracemalloc peak {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB")
		tracemalloc.stop()
	if phase_rss:
		memory.append(f"phase peak RSS {peak_rss_kib() / 1024:.0f} MiB")
	memory.append(f"ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
	return Measured(seconds, ", ".join(memory))


def reset_peak_rss() -> bool:
	"""Reset the process's RSS high-water mark (VmHWM), so it measures one phase."""
	try:
		with open("/proc/self/clear_refs", "w") as f:
			f.write("5")
		return True
	except OSError:
		return False


def peak_rss_kib() -> int:
	with open("/proc/self/status") as f:
		for line in f:
			if line.startswith("VmHWM:"):
				return int(line.split()[1])
	return 0


# ---------------------------------------------------------------- setup (idempotent)


def ensure_masters() -> str:
	ensure_company()
	if not frappe.db.exists("Academic Term", TERM):
		frappe.get_doc(
			{
				"doctype": "Academic Term",
				"term_name": TERM,
				"academic_year": "2028",
				"start_date": "2028-01-01",
				"end_date": "2028-12-31",
			}
		).insert()
	if not frappe.db.exists("Grade", GRADE):
		frappe.get_doc({"doctype": "Grade", "grade_name": GRADE}).insert()
	if not frappe.db.exists("Price List", PRICE_LIST):
		frappe.get_doc(
			{
				"doctype": "Price List",
				"price_list_name": PRICE_LIST,
				"currency": "INR",
				"selling": 1,
				"enabled": 1,
			}
		).insert()
	for head, (_amount, account_name) in COMPONENTS.items():
		ensure_fee_head(head, ensure_income_account(account_name))
		ensure_item(head)
	if not frappe.db.exists("Fee Discount", DISCOUNT):
		frappe.get_doc(
			{
				"doctype": "Fee Discount",
				"discount_name": DISCOUNT,
				"company": COMPANY,
				"discount_type": "Percentage",
				"value": 10,
				"priority": 10,
				"fee_heads": [{"fee_head": "Benchmark Tuition"}],
			}
		).insert()
	structure = frappe.db.get_value(
		"Fee Structure", {"structure_name": STRUCTURE_NAME, "company": COMPANY, "docstatus": 1}
	)
	if not structure:
		doc = frappe.get_doc(
			{
				"doctype": "Fee Structure",
				"structure_name": STRUCTURE_NAME,
				"company": COMPANY,
				"academic_term": TERM,
				"components": [
					{"fee_head": head, "amount": amount} for head, (amount, _a) in COMPONENTS.items()
				],
				"installments": [
					{
						"installment": label,
						"issue_date": issue,
						"due_date": add_days(issue, 14),
						"percentage": 25,
					}
					for label, issue in INSTALLMENTS
				],
			}
		).insert()
		doc.submit()
		structure = doc.name
	frappe.db.commit()
	return structure


def ensure_company():
	if ensure_school(COMPANY, ABBR):
		frappe.db.commit()


def ensure_income_account(account_name: str) -> str:
	name = frappe.db.get_value("Account", {"company": COMPANY, "account_name": account_name})
	if name:
		return name
	parent = frappe.db.get_value(
		"Account", {"company": COMPANY, "account_name": "Direct Income", "is_group": 1}
	) or frappe.db.get_value("Account", {"company": COMPANY, "root_type": "Income", "is_group": 1})
	return (
		frappe.get_doc(
			{"doctype": "Account", "company": COMPANY, "account_name": account_name, "parent_account": parent}
		)
		.insert()
		.name
	)


def ensure_fee_head(head: str, income_account: str):
	if not frappe.db.exists("Fee Head", head):
		frappe.get_doc({"doctype": "Fee Head", "fee_head_name": head}).insert()
	doc = frappe.get_doc("Fee Head", head)
	if not any(row.company == COMPANY for row in doc.accounts):
		doc.append("accounts", {"company": COMPANY, "income_account": income_account})
		doc.save()


def ensure_item(head: str):
	if frappe.db.exists("Item", head):
		return
	frappe.get_doc(
		{
			"doctype": "Item",
			"item_code": head,
			"item_name": head,
			"item_group": frappe.db.get_value("Item Group", {"is_group": 0}) or "All Item Groups",
			"stock_uom": "Nos",
			"is_stock_item": 0,
			"include_item_in_manufacturing": 0,
		}
	).insert()


def make_section(tag: str) -> str:
	return (
		frappe.get_doc({"doctype": "Class Section", "company": COMPANY, "grade": GRADE, "section": f"B{tag}"})
		.insert()
		.name
	)


def make_students(count: int, section: str, tag: str) -> list[str]:
	"""Fresh students (and their customers), every third with the sibling discount."""
	names = []
	for i in range(count):
		doc = frappe.get_doc(
			{
				"doctype": "Student",
				"student_name": f"Bench {tag} {i:05d}",
				"admission_no": f"BM-{tag}-{i:05d}",
				"company": COMPANY,
				"class_section": section,
				"joining_date": "2028-01-01",
				"guardian_name": "Guardian",
				"discounts": [{"fee_discount": DISCOUNT}] if i % 3 == 0 else [],
			}
		).insert()
		names.append(doc.name)
		if i % 100 == 99:
			frappe.db.commit()
	frappe.db.commit()
	return names


# ---------------------------------------------------------------- the Sales Invoice side


def sales_invoice_specs(billing_run: str, students: list[str]) -> list[dict]:
	"""One Sales Invoice per Fee Invoice of `students` in the run: same customer, dates, accounts
	and amounts (each fee head at its net amount). Plain dicts; documents are made while timed."""
	receivable = frappe.db.get_value(
		"School Fees Company Settings",
		{"parent": "School Fees Settings", "company": COMPANY},
		"receivable_account",
	)
	invoices = frappe.get_all(
		"Fee Invoice",
		filters={"billing_run": billing_run, "student": ("in", students or ["-"]), "docstatus": 1},
		fields=["name", "customer", "posting_date", "due_date", "cost_center"],
		order_by="student, posting_date",
	)
	items: dict[str, list] = {}
	for row in frappe.get_all(
		"Fee Invoice Item",
		filters={"parenttype": "Fee Invoice", "parent": ("in", [i.name for i in invoices] or ["-"])},
		fields=["parent", "fee_head", "net_amount", "income_account", "cost_center"],
		order_by="idx",
	):
		items.setdefault(row.parent, []).append(row)
	return [
		{
			"doctype": "Sales Invoice",
			"company": COMPANY,
			"customer": invoice.customer,
			"posting_date": invoice.posting_date,
			"set_posting_time": 1,
			"due_date": invoice.due_date,
			"debit_to": receivable,
			"currency": "INR",
			"selling_price_list": PRICE_LIST,
			"price_list_currency": "INR",
			"plc_conversion_rate": 1,
			"conversion_rate": 1,
			"disable_rounded_total": 1,
			"cost_center": invoice.cost_center,
			"items": [
				{
					"item_code": item.fee_head,
					"qty": 1,
					"rate": flt(item.net_amount),
					"income_account": item.income_account,
					"cost_center": item.cost_center,
				}
				for item in items[invoice.name]
			],
		}
		for invoice in invoices
	]


def make_sales_invoices(specs: list[dict]) -> None:
	for spec in specs:
		doc = frappe.get_doc(spec)
		doc.insert()
		doc.submit()
	frappe.db.commit()
