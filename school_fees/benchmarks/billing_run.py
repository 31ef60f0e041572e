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

Setup is untimed and shared with the receipt benchmark (``benchmarks/common.py``): the company, the
Fiscal Years covering the 2028 dates (added when the site's years do not cover them), masters.
"""

import resource
import time
import tracemalloc

import frappe
from frappe.utils import add_days

from school_fees.benchmarks import common
from school_fees.benchmarks.common import COMPANY, make_sales_invoices, run_billing, sales_invoice_specs

TERM = "Benchmark Term 2028"
YEAR = 2028
STRUCTURE_NAME = "Benchmark Structure 2028"
INSTALLMENTS = [("Q1", "2028-01-03"), ("Q2", "2028-04-03"), ("Q3", "2028-07-03"), ("Q4", "2028-10-02")]
DISCOUNT = "Benchmark Sibling 10%"


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
	tag = common.new_tag()
	section = common.make_section(tag)
	names = common.make_students(students, section, tag, f"{YEAR}-01-01", discount=DISCOUNT)
	run_name = common.make_billing_run(TERM, structure, section, INSTALLMENTS[0][1], tag)
	print(f"setup: {students} students in class section {section} ({time.monotonic() - started:.1f}s)")
	return run_name, names


def check_billed(billing_run: str, students: int) -> int:
	return common.check_billed(billing_run, students * len(INSTALLMENTS))


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
	"""The shared masters (common.ensure_common, fiscal years covering every date billed), the
	term, the sibling discount and the four-installment structure. Returns the structure."""
	dates = [f"{YEAR}-01-01", f"{YEAR}-12-31"]
	dates += [d for _label, issue in INSTALLMENTS for d in (issue, add_days(issue, 14))]
	common.ensure_common(dates)
	common.ensure_term(TERM, YEAR)
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
	frappe.db.commit()
	return common.ensure_structure(
		STRUCTURE_NAME,
		TERM,
		[(label, issue, add_days(issue, 14), 25) for label, issue in INSTALLMENTS],
	)
