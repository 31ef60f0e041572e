"""Setup shared by the benchmarks: everything lives in one company of their own, "Benchmark School".

Every ``ensure_*`` function is idempotent (a second run creates nothing twice); the ``make_*``
functions create fresh documents for one run (students in a class section of their own, Sales
Invoices). Nothing here is timed.

Fiscal years: ERPNext refuses any posting dated outside an active Fiscal Year of the company
(``erpnext.accounts.utils.get_fiscal_years``: enabled years with no company rows, or with a row for
the company). ``ensure_fiscal_years`` adds, for every date a benchmark posts on that no such year
covers, a year in the site's own style: aligned on the start day of the site's latest year
(calendar years when the site has none), company-less when the site's years are company-less, with
this company's row when they are all company-specific; an existing company-specific year with the
same dates gets this company's row instead (ERPNext refuses two years with the same dates).
"""

import datetime
import os
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from dateutil.relativedelta import relativedelta

import frappe
from frappe.utils import flt, getdate

from school_fees.billing.job import run_billing
from school_fees.ledger.checks import has_fiscal_year
from school_fees.setup.schools import ensure_school

COMPANY = "Benchmark School"
ABBR = "BMS"
GRADE = "Benchmark Grade"
# fee head -> (amount for the term, income account name)
COMPONENTS = {
	"Benchmark Tuition": (48000, "Tuition Fees"),
	"Benchmark Transport": (12000, "Transport Fees"),
	"Benchmark Library": (2400, "Library Fees"),
}
# An INR price list: with the site's USD "Standard Selling" every Sales Invoice would look up an
# exchange rate over the network (5 s each time the lookup times out offline)
PRICE_LIST = "Benchmark Selling INR"
CASH = "Cash"


# ---------------------------------------------------------------- masters (idempotent)


def ensure_common(dates) -> None:
	"""The company, fiscal years covering `dates`, the grade, the INR price list, and for every fee
	head of COMPONENTS its income account, Fee Head row and Item. Commits."""
	ensure_company()
	ensure_fiscal_years(dates)
	if not frappe.db.exists("Grade", GRADE):
		frappe.get_doc({"doctype": "Grade", "grade_name": GRADE}).insert()
	ensure_price_list()
	for head, (_amount, account_name) in COMPONENTS.items():
		ensure_fee_head(head, ensure_income_account(account_name))
		ensure_item(head)
	frappe.db.commit()


def ensure_company() -> None:
	if ensure_school(COMPANY, ABBR):
		frappe.db.commit()


def ensure_fiscal_years(dates, company: str = COMPANY) -> list[str]:
	"""Make every date in `dates` fall in an active Fiscal Year of `company` (see the module
	docstring). Returns the names of the years created or given this company's row."""
	changed = []
	frappe.cache.delete_value("fiscal_years")  # another process may have added years meanwhile
	for date in sorted({getdate(d) for d in dates}):
		if has_fiscal_year(date, company):
			continue
		changed.append(add_fiscal_year(date, company))
		if not has_fiscal_year(date, company):
			frappe.throw(f"Fiscal Year {changed[-1]} does not cover {date} for {company}")
	if changed:
		frappe.db.commit()
		print(f"fiscal years created or extended for {company}: {', '.join(changed)}")
	return changed


def add_fiscal_year(date: datetime.date, company: str) -> str:
	years = frappe.get_all(
		"Fiscal Year",
		filters={"disabled": 0},
		fields=["name", "year_start_date"],
		order_by="year_start_date desc",
	)
	with_companies = set(
		frappe.get_all(
			"Fiscal Year Company",
			filters={"parenttype": "Fiscal Year", "parent": ("in", [y.name for y in years] or ["-"])},
			pluck="parent",
		)
	)
	company_specific = bool(years) and all(y.name in with_companies for y in years)
	start = year_start_for(date, years[0].year_start_date if years else None)
	end = start + relativedelta(years=1) - relativedelta(days=1)

	same_dates = frappe.db.get_value(
		"Fiscal Year", {"year_start_date": start, "year_end_date": end}, ["name", "disabled"], as_dict=True
	)
	if same_dates:
		doc = frappe.get_doc("Fiscal Year", same_dates.name)
		if same_dates.disabled or not doc.companies:
			frappe.throw(
				f"Fiscal Year {doc.name} ({start} to {end}) is disabled or has no company rows, yet "
				f"{date} is not in an active Fiscal Year of {company}: enable it or fix its companies."
			)
		doc.append("companies", {"company": company})
		doc.save(ignore_permissions=True)
		return doc.name

	label = str(start.year) if start.year == end.year else f"{start.year}-{end.year}"
	if frappe.db.exists("Fiscal Year", label):
		label = f"{label} {company}"
	return (
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": label,
				"year_start_date": start,
				"year_end_date": end,
				"companies": [{"company": company}] if company_specific else [],
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def year_start_for(date: datetime.date, anchor_start) -> datetime.date:
	"""The start of the year containing `date`, starting on the month and day of `anchor_start`
	(1 January without one)."""
	anchor = getdate(anchor_start) if anchor_start else datetime.date(date.year, 1, 1)
	month, day = anchor.month, min(anchor.day, 28)
	start = datetime.date(date.year, month, day)
	return start if start <= date else datetime.date(date.year - 1, month, day)


def ensure_term(term: str, year: int) -> None:
	if not frappe.db.exists("Academic Term", term):
		frappe.get_doc(
			{
				"doctype": "Academic Term",
				"term_name": term,
				"academic_year": str(year),
				"start_date": f"{year}-01-01",
				"end_date": f"{year}-12-31",
			}
		).insert()


def ensure_price_list() -> None:
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


def ensure_fee_head(head: str, income_account: str) -> None:
	if not frappe.db.exists("Fee Head", head):
		frappe.get_doc({"doctype": "Fee Head", "fee_head_name": head}).insert()
	doc = frappe.get_doc("Fee Head", head)
	if not any(row.company == COMPANY for row in doc.accounts):
		doc.append("accounts", {"company": COMPANY, "income_account": income_account})
		doc.save()


def ensure_item(head: str) -> None:
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


def ensure_structure(structure_name: str, term: str, installments: list[tuple[str, str, str, float]]) -> str:
	"""The submitted Fee Structure `structure_name` over COMPONENTS; `installments` are (label,
	issue date, due date, percentage). Returns its name."""
	structure = frappe.db.get_value(
		"Fee Structure", {"structure_name": structure_name, "company": COMPANY, "docstatus": 1}
	)
	if structure:
		return structure
	doc = frappe.get_doc(
		{
			"doctype": "Fee Structure",
			"structure_name": structure_name,
			"company": COMPANY,
			"academic_term": term,
			"components": [{"fee_head": head, "amount": amount} for head, (amount, _a) in COMPONENTS.items()],
			"installments": [
				{"installment": label, "issue_date": issue, "due_date": due, "percentage": percentage}
				for label, issue, due, percentage in installments
			],
		}
	).insert()
	doc.submit()
	frappe.db.commit()
	return doc.name


def receivable_account() -> str:
	return frappe.db.get_value(
		"School Fees Company Settings",
		{"parent": "School Fees Settings", "company": COMPANY},
		"receivable_account",
	)


def cash_account() -> str:
	"""The company's cash account, also set as its account on the Cash Mode of Payment (ERPNext's
	Company.on_update normally does that; this covers a site where it did not)."""
	account = frappe.get_cached_value("Company", COMPANY, "default_cash_account") or frappe.db.get_value(
		"Account", {"company": COMPANY, "account_type": "Cash", "is_group": 0}
	)
	if not account:
		frappe.throw(f"Company {COMPANY} has no cash account")
	if not frappe.db.exists("Mode of Payment", CASH):
		frappe.throw(f"Mode of Payment {CASH} is missing (ERPNext's setup creates it)")
	if not frappe.db.exists("Mode of Payment Account", {"parent": CASH, "company": COMPANY}):
		doc = frappe.get_doc("Mode of Payment", CASH)
		doc.append("accounts", {"company": COMPANY, "default_account": account})
		doc.save(ignore_permissions=True)
		frappe.db.commit()
	return account


# ---------------------------------------------------------------- fresh documents of one run


def new_tag() -> str:
	return frappe.generate_hash(length=6).upper()


def make_section(tag: str) -> str:
	return (
		frappe.get_doc({"doctype": "Class Section", "company": COMPANY, "grade": GRADE, "section": f"B{tag}"})
		.insert()
		.name
	)


def make_students(
	count: int, section: str, tag: str, joining_date: str, discount: str | None = None
) -> list[str]:
	"""Fresh students (and their customers) in `section`, every third with `discount` if given.
	Commits."""
	names = []
	for i in range(count):
		doc = frappe.get_doc(
			{
				"doctype": "Student",
				"student_name": f"Bench {tag} {i:05d}",
				"admission_no": f"BM-{tag}-{i:05d}",
				"company": COMPANY,
				"class_section": section,
				"joining_date": joining_date,
				"guardian_name": "Guardian",
				"discounts": [{"fee_discount": discount}] if discount and i % 3 == 0 else [],
			}
		).insert()
		names.append(doc.name)
		if i % 100 == 99:
			frappe.db.commit()
	frappe.db.commit()
	return names


def make_billing_run(term: str, structure: str, section: str, posting_date: str, tag: str) -> str:
	"""A Draft Billing Run of every installment of `structure` for `section`, issuing the invoices.
	Commits."""
	run_doc = frappe.get_doc(
		{
			"doctype": "Billing Run",
			"company": COMPANY,
			"academic_term": term,
			"fee_structure": structure,
			"scope": "Class Section",
			"class_section": section,
			"posting_date": posting_date,
			"issue_invoices": 1,
			"reference": f"Benchmark {tag}",
		}
	).insert()
	frappe.db.commit()
	return run_doc.name


def check_billed(billing_run: str, expected: int) -> int:
	run_doc = frappe.get_doc("Billing Run", billing_run)
	if run_doc.status != "Completed" or run_doc.created_count != expected:
		frappe.throw(
			f"Billing Run {billing_run} did not bill everybody: {run_doc.status}, "
			f"{run_doc.created_count} invoices of {expected}, {[e.error for e in run_doc.errors][:3]}"
		)
	return run_doc.created_count


# ---------------------------------------------------------------- the Sales Invoice side


def sales_invoice_specs(
	billing_run: str, students: list[str], customers: dict[str, str] | None = None
) -> list[dict]:
	"""One Sales Invoice per Fee Invoice of `students` in the run: same customer (or
	``customers[student]``), dates, accounts and amounts (each fee head at its net amount), debit_to
	the fee receivable account. Plain dicts, in student then posting date order; documents are made
	while timed."""
	receivable = receivable_account()
	invoices = frappe.get_all(
		"Fee Invoice",
		filters={"billing_run": billing_run, "student": ("in", students or ["-"]), "docstatus": 1},
		fields=["name", "student", "customer", "posting_date", "due_date", "cost_center"],
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
			"customer": (customers or {}).get(invoice.student, invoice.customer),
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


def make_sales_invoices(specs: list[dict]) -> list[str]:
	"""Insert and submit every spec; one commit at the end. Returns the names."""
	names = []
	for spec in specs:
		doc = frappe.get_doc(spec)
		doc.insert()
		doc.submit()
		names.append(doc.name)
	frappe.db.commit()
	return names


# ---------------------------------------------------------------- PDFs off a bench without nginx


class AssetsOnly(SimpleHTTPRequestHandler):
	"""Serves the bench's built assets (what nginx serves in production), nothing else: wkhtmltopdf
	loads the print stylesheet from the site's URL (host_name). Used by the PDF benchmark and tests."""

	def do_GET(self):
		if not self.path.startswith("/assets/"):
			self.send_error(404)
			return
		super().do_GET()

	def log_message(self, *args):
		pass


@contextmanager
def assets_served():
	"""The bench's /assets on 127.0.0.1 (a free port) while the block runs, with this process's
	host_name pointing at it; yields the URL."""
	server = ThreadingHTTPServer(
		("127.0.0.1", 0), partial(AssetsOnly, directory=os.path.abspath(frappe.local.sites_path))
	)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	host_name = frappe.local.conf.get("host_name")
	frappe.local.conf.host_name = f"http://127.0.0.1:{server.server_address[1]}"
	try:
		yield frappe.local.conf.host_name
	finally:
		server.shutdown()
		server.server_close()
		if host_name is None:
			frappe.local.conf.pop("host_name", None)
		else:
			frappe.local.conf.host_name = host_name
