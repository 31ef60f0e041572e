"""Benchmark: printing Fee Invoices for a bulk PDF export, one wkhtmltopdf run per invoice (Frappe's
frappe.get_print(as_pdf=True), what school_fees.bulk.export_pdf did) against school_fees.printing
(each invoice's print HTML, up to DOCUMENTS_PER_RUN of them per wkhtmltopdf run).

Run on a site (it commits; everything lives in the company "Benchmark School", dated 2029):

	cd ~/frappe-bench/sites
	../env/bin/python -m frappe.utils.bench_helper frappe --site SITE \\
		execute school_fees.benchmarks.bulk_export.run --kwargs "{'invoices': 50}"

Setup (untimed): the masters of the receipts benchmark (``benchmarks/receipts.py``: a structure of 12
monthly installments), ceil(N / 12) fresh students billed by a Billing Run, and the first N of their
issued invoices. wkhtmltopdf loads Frappe's print stylesheet from the site's URL, which has to be
reachable from the server: the benchmark serves the bench's /assets on 127.0.0.1 from a thread of its
own and points host_name at it in this process only (frappe.local.conf; site_config.json is not
touched), as the bulk export tests do.

Timed, ``repeat`` times (default 3), one after the other on the same N invoices and the same print
format (the Fee Invoice's default):

- old: printing.append_one_by_one, one frappe.get_print(as_pdf=True) per invoice into one pypdf
  writer;
- new: printing.append_prints;
- export: bulk.export_pdf end to end with the new path (register page, prints, the merged file
  written, the audit rows); rolled back afterwards and its file removed from disk.

Checked after every repetition: the old and the new PDF have the same pages, each with the same text
and size; otherwise it throws. Printed: per path the seconds of each repetition and the median seconds
per invoice; the last line is ``ratio_old_vs_new=<x>`` (old median / new median, one decimal).
``keep=True`` writes the last old and new PDFs to /tmp (paths printed) to look at them, e.g. with
``pdftoppm -png -r 80 -f 2 -l 2 FILE page``.
"""

import io
import math
import os
import statistics
import threading
import time
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from pypdf import PdfReader, PdfWriter

import frappe

from school_fees import bulk, printing
from school_fees.benchmarks import common, receipts
from school_fees.benchmarks.common import assets_served, run_billing

FEE_INVOICE = "Fee Invoice"
INSTALLMENTS = len(receipts.INSTALLMENTS)


def run(invoices: int = 50, repeat: int = 3, keep: bool = False):
	invoices, repeat = int(invoices), int(repeat)
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	names = make_invoices(invoices)

	with assets_served():
		seconds: dict[str, list[float]] = {"old": [], "new": [], "export": []}
		for round_ in range(1, repeat + 1):
			old, seconds_old = timed(
				lambda: printing.append_one_by_one(FEE_INVOICE, names, None, PdfWriter())
			)
			new, seconds_new = timed(lambda: printing.append_prints(FEE_INVOICE, names, None, PdfWriter()))
			check_same_pages(old, new)
			seconds_export = timed_export(names)
			for path, value in (("old", seconds_old), ("new", seconds_new), ("export", seconds_export)):
				seconds[path].append(value)
			print(
				f"round {round_}: old {seconds_old:.2f}s, new {seconds_new:.2f}s, export {seconds_export:.2f}s "
				f"({len(old.pages)} pages, the same in both)"
			)
		if keep:
			for path, writer in (("old", old), ("new", new)):
				file_name = f"/tmp/bulk-export-{path}-{len(names)}.pdf"
				writer.write(file_name)
				print(f"{path} PDF: {file_name}")

	per_invoice = {path: statistics.median(values) / len(names) for path, values in seconds.items()}
	print(
		f"old (frappe.get_print(as_pdf=True), one wkhtmltopdf run per invoice): "
		f"{', '.join(f'{s:.2f}' for s in seconds['old'])} s -> median {per_invoice['old']:.3f} s per invoice"
	)
	print(
		f"new (school_fees.printing, up to {printing.DOCUMENTS_PER_RUN} invoices per run): "
		f"{', '.join(f'{s:.2f}' for s in seconds['new'])} s -> median {per_invoice['new']:.3f} s per invoice"
	)
	print(
		f"bulk.export_pdf end to end (register, prints, file, audit rows): "
		f"{', '.join(f'{s:.2f}' for s in seconds['export'])} s -> median {per_invoice['export']:.3f} s per "
		f"invoice, {per_invoice['export'] * 200:.0f} s for 200"
	)
	print(f"ratio_old_vs_new={per_invoice['old'] / per_invoice['new']:.1f}")


# ---------------------------------------------------------------- timing


def timed(work) -> tuple[PdfWriter, float]:
	started = time.perf_counter()
	writer = work()
	return writer, time.perf_counter() - started


def timed_export(names: list[str]) -> float:
	"""bulk.export_pdf, timed; then rolled back and its file removed from disk (nothing piles up)."""
	frappe.db.commit()
	started = time.perf_counter()
	file = bulk.export_pdf(names)
	seconds = time.perf_counter() - started
	path = file.get_full_path()
	frappe.db.rollback()
	if os.path.exists(path):
		os.remove(path)
	return seconds


def check_same_pages(old: PdfWriter, new: PdfWriter) -> None:
	"""The same pages, in the same order, each with the same text and size."""
	old_pages, new_pages = pages(old), pages(new)
	if old_pages != new_pages:
		differ = [i + 1 for i, (a, b) in enumerate(zip(old_pages, new_pages, strict=False)) if a != b]
		frappe.throw(
			f"The new path printed other pages: {len(old_pages)} pages old, {len(new_pages)} new, "
			f"differing pages {differ[:10]}"
		)


def pages(writer: PdfWriter) -> list[tuple[str, list]]:
	with io.BytesIO() as stream:
		writer.write(stream)
		reader = PdfReader(io.BytesIO(stream.getvalue()))
	return [(page.extract_text(), list(page.mediabox)) for page in reader.pages]


# ---------------------------------------------------------------- setup


def make_invoices(count: int) -> list[str]:
	"""`count` issued Fee Invoices of fresh students billed by a Billing Run (12 per student)."""
	structure = receipts.ensure_masters()
	started = time.monotonic()
	tag = common.new_tag()
	section = common.make_section(tag)
	students = math.ceil(count / INSTALLMENTS)
	common.make_students(students, section, tag, f"{receipts.YEAR}-01-01")
	billing_run = common.make_billing_run(receipts.TERM, structure, section, receipts.INSTALLMENTS[0][1], tag)
	run_billing(billing_run)
	common.check_billed(billing_run, students * INSTALLMENTS)
	names = frappe.get_all(
		FEE_INVOICE,
		filters={"billing_run": billing_run, "docstatus": 1},
		order_by="student, posting_date",
		pluck="name",
	)[:count]
	print(
		f"setup: {len(names)} issued invoices of {students} students billed by {billing_run} "
		f"({time.monotonic() - started:.1f}s)"
	)
	return names
