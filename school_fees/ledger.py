"""The one place where school_fees talks to ERPNext accounting.

Every voucher of the app (Fee Invoice, Payment Allocation, Credit Note, Deposit) builds its GL
rows with `gl_row`, posts them with `post` and reverses them with `reverse`. Balances of the
app's vouchers are always read back from the ledger — Payment Ledger Entry for the fee
receivable, GL Entry for the deposit liability — never from a cached field; the cached fields
(`outstanding_amount`, `remaining_amount`) are written back from the ledger after every change.
"""

from decimal import Decimal

import frappe
from frappe.query_builder.functions import Coalesce, Min, Sum
from frappe.utils import flt, getdate, nowdate

import erpnext
from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import get_accounting_dimensions
from erpnext.accounts.general_ledger import make_gl_entries, make_reverse_gl_entries, process_gl_map
from erpnext.accounts.utils import get_fiscal_year

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.status import invoice_status

# Documents that link to a voucher only because the ledger does; cancelling the voucher must not
# be blocked by them (ERPNext sets the same list on its own vouchers).
LEDGER_LINKED_DOCTYPES = (
	"GL Entry",
	"Payment Ledger Entry",
	"Advance Payment Ledger Entry",
	"Repost Payment Ledger",
	"Repost Payment Ledger Items",
	"Repost Accounting Ledger",
	"Repost Accounting Ledger Items",
	"Unreconcile Payment",
	"Unreconcile Payment Entries",
	"Fee Audit Log",
)

# Vouchers whose open receivable credit (a negative balance against themselves) can be applied
CREDIT_SOURCE_DOCTYPES = ("Credit Note", "Payment Allocation", "Payment Entry", "Journal Entry")


def currency_precision(company: str | None = None) -> int:
	"""Decimal places of money for GL posting (the Currency field precision of the site)."""
	from frappe.model.meta import get_field_precision

	return get_field_precision(frappe.get_meta("GL Entry").get_field("debit"))


def gl_row(
	doc,
	account: str,
	debit=ZERO,
	credit=ZERO,
	*,
	party: str | None = None,
	against_voucher_type: str | None = None,
	against_voucher: str | None = None,
	cost_center: str | None = None,
	remarks: str | None = None,
	voucher_detail_no: str | None = None,
	due_date=None,
	dimensions: dict | None = None,
) -> frappe._dict:
	"""One GL row of `doc`, complete with every column ERPNext's outstanding queries read.

	Amounts are in company currency (the app's vouchers are single-currency). `dimensions` is a
	{fieldname: value} map of accounting dimensions; by default they are copied from `doc`.
	"""
	debit, credit = flt(quantize(debit)), flt(quantize(credit))
	company_currency = erpnext.get_company_currency(doc.company)
	row = frappe._dict(
		posting_date=getdate(doc.posting_date),
		fiscal_year=fiscal_year_of(doc.posting_date, doc.company),
		company=doc.company,
		account=account,
		cost_center=cost_center,
		voucher_type=doc.doctype,
		voucher_no=doc.name,
		voucher_detail_no=voucher_detail_no,
		party_type="Customer" if party else None,
		party=party,
		against_voucher_type=against_voucher_type,
		against_voucher=against_voucher,
		due_date=due_date,
		remarks=remarks or doc.get("remarks") or f"{doc.doctype} {doc.name}",
		debit=debit,
		credit=credit,
		debit_in_account_currency=debit,
		credit_in_account_currency=credit,
		account_currency=company_currency,
		transaction_currency=company_currency,
		transaction_exchange_rate=1,
		debit_in_transaction_currency=debit,
		credit_in_transaction_currency=credit,
		is_opening="No",
	)
	if dimensions is None:
		dimensions = {name: doc.get(name) for name in accounting_dimension_fields()}
	row.update(dimensions)
	return row


def fiscal_year_of(posting_date, company: str) -> str:
	return get_fiscal_year(posting_date, company=company)[0]


def accounting_dimension_fields() -> list[str]:
	"""Fieldnames of the site's accounting dimensions (cost_center is a column of its own)."""
	if frappe.flags.school_fees_dimensions is None:
		frappe.flags.school_fees_dimensions = get_accounting_dimensions()
	return frappe.flags.school_fees_dimensions


def set_against(rows: list[frappe._dict]) -> list[frappe._dict]:
	"""Fill the `against` column the way ERPNext's gl_entry.update_against_account does, but in
	memory before posting, so the single-document and bulk paths write identical rows."""
	debited = sorted({r.party or r.account for r in rows if flt(r.debit) > 0})
	credited = sorted({r.party or r.account for r in rows if flt(r.credit) > 0})
	for row in rows:
		if flt(row.debit) > 0:
			row.against = ", ".join(credited)
		elif flt(row.credit) > 0:
			row.against = ", ".join(debited)
	return rows


def prepare(rows: list[frappe._dict]) -> list[frappe._dict]:
	"""Drop zero rows, set `against`, and merge/round exactly as make_gl_entries will.

	The bulk billing path inserts the result of this function directly; the single-document
	path hands the same rows to make_gl_entries. Both therefore write the same GL."""
	rows = [r for r in rows if flt(r.debit) or flt(r.credit)]
	return process_gl_map(set_against(rows), merge_entries=True)


def post(doc, rows: list[frappe._dict]) -> None:
	"""Post `rows` (built with gl_row) for a submitted `doc` through ERPNext's make_gl_entries,
	which validates accounting periods, frozen dates and balance, and writes Payment Ledger
	Entries for the receivable rows."""
	assert_balanced(rows, doc)
	rows = [r for r in rows if flt(r.debit) or flt(r.credit)]
	make_gl_entries(set_against(rows), merge_entries=True)


def reverse(doc) -> None:
	"""Reverse every GL and Payment Ledger row of `doc` (on cancel)."""
	make_reverse_gl_entries(voucher_type=doc.doctype, voucher_no=doc.name)


def ignore_ledger_links(doc) -> None:
	"""Call at the start of on_cancel so the ledger's own back-links don't block the cancel."""
	doc.ignore_linked_doctypes = LEDGER_LINKED_DOCTYPES


def assert_balanced(rows: list[frappe._dict], doc) -> None:
	debit = sum((to_decimal(r.debit) for r in rows), ZERO)
	credit = sum((to_decimal(r.credit) for r in rows), ZERO)
	if quantize(debit) != quantize(credit):
		frappe.throw(
			frappe._("{0} {1} does not balance: debit {2}, credit {3}").format(
				doc.doctype, doc.name, debit, credit
			)
		)


# ---------------------------------------------------------------- balances read from the ledger


def sum_of(query, for_update: bool = False) -> Decimal:
	"""Run a single-SUM query (as a locking read when asked) and return it as money."""
	if for_update:
		query = query.for_update()
	return quantize(to_decimal(query.run()[0][0]))


def receivable_balance(
	against_voucher_type: str,
	against_voucher_no: str,
	party: str | None = None,
	*,
	account: str | None = None,
	for_update: bool = False,
) -> Decimal:
	"""Net receivable against a voucher from Payment Ledger Entry (positive: owed to the school;
	negative: open credit of the customer). Delinked (cancelled) rows are excluded.

	`for_update` makes it a locking read: under REPEATABLE READ a plain SELECT sees the snapshot
	taken at the transaction's first read, so a balance re-checked after waiting for a row lock
	would miss what the lock holder committed. Use it for every check made inside a lock."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	query = (
		frappe.qb.from_(ple)
		.select(Coalesce(Sum(ple.amount_in_account_currency), 0))
		.where(
			(ple.against_voucher_type == against_voucher_type)
			& (ple.against_voucher_no == against_voucher_no)
			& (ple.delinked == 0)
		)
	)
	if party:
		query = query.where((ple.party_type == "Customer") & (ple.party == party))
	if account:
		query = query.where(ple.account == account)
	return sum_of(query, for_update)


def receivable_balances(
	against_voucher_type: str, names: list[str], *, for_update: bool = False
) -> dict[str, Decimal]:
	"""receivable_balance for many vouchers in one query (`for_update`: see receivable_balance)."""
	if not names:
		return {}
	ple = frappe.qb.DocType("Payment Ledger Entry")
	query = (
		frappe.qb.from_(ple)
		.select(ple.against_voucher_no, Sum(ple.amount_in_account_currency))
		.where(
			(ple.against_voucher_type == against_voucher_type)
			& (ple.against_voucher_no.isin(names))
			& (ple.delinked == 0)
		)
		.groupby(ple.against_voucher_no)
	)
	if for_update:
		query = query.for_update()
	rows = query.run()
	balances = {name: ZERO for name in names}
	balances.update({name: quantize(to_decimal(amount)) for name, amount in rows})
	return balances


def liability_balance(
	account: str, against_voucher_type: str, against_voucher: str, *, for_update: bool = False
) -> Decimal:
	"""Credit balance held on a liability account against a voucher (deposits), from GL Entry
	(`for_update`: a locking read, see receivable_balance)."""
	gle = frappe.qb.DocType("GL Entry")
	query = (
		frappe.qb.from_(gle)
		.select(Coalesce(Sum(gle.credit_in_account_currency - gle.debit_in_account_currency), 0))
		.where(
			(gle.account == account)
			& (gle.against_voucher_type == against_voucher_type)
			& (gle.against_voucher == against_voucher)
			& (gle.is_cancelled == 0)
		)
	)
	return sum_of(query, for_update)


def lock_rows(doctype: str, names: list[str]) -> None:
	"""SELECT ... FOR UPDATE on the given documents, in name order (no deadlocks between two
	allocators that lock overlapping sets), until the transaction ends."""
	if names:
		table = frappe.qb.DocType(doctype)
		frappe.qb.from_(table).select(table.name).where(table.name.isin(sorted(set(names)))).orderby(
			table.name
		).for_update().run()


# ---------------------------------------------------------------- write-back from the ledger


def refresh_fee_invoice(name: str, as_of=None) -> str | None:
	"""Recompute paid_amount, outstanding_amount and status of a Fee Invoice from the Payment
	Ledger and write them back (audit-logging a status change). Returns the new status."""
	from school_fees.audit import log_status_change

	invoice = frappe.db.get_value(
		"Fee Invoice",
		name,
		["name", "docstatus", "grand_total", "due_date", "status", "outstanding_amount", "paid_amount"],
		as_dict=True,
		for_update=True,
	)
	if not invoice:
		return None
	outstanding = (
		receivable_balance("Fee Invoice", name, for_update=True)
		if invoice.docstatus == 1
		else to_decimal(invoice.grand_total)
	)
	if invoice.docstatus == 2:
		outstanding = ZERO
	grand_total = to_decimal(invoice.grand_total)
	paid = quantize(grand_total - outstanding) if invoice.docstatus == 1 else ZERO
	status = invoice_status(
		invoice.docstatus, grand_total, outstanding, getdate(invoice.due_date), getdate(as_of or nowdate())
	)
	values = {}
	if to_decimal(invoice.outstanding_amount) != outstanding:
		values["outstanding_amount"] = flt(outstanding)
	if to_decimal(invoice.paid_amount) != paid:
		values["paid_amount"] = flt(paid)
	if invoice.status != status:
		values["status"] = status
	if values:
		frappe.db.set_value("Fee Invoice", name, values, update_modified=False)
	if invoice.status != status:
		log_status_change("Fee Invoice", name, invoice.status, status)
	return status


def refresh_credit_source(doctype: str, name: str) -> Decimal:
	"""Write back the open credit of a Credit Note or a receipt (Payment Allocation) from the
	Payment Ledger: the negative receivable balance against it."""
	remaining = max(-receivable_balance(doctype, name, for_update=True), ZERO)
	if frappe.get_meta(doctype).has_field("remaining_amount"):
		frappe.db.set_value(doctype, name, "remaining_amount", flt(remaining), update_modified=False)
	return remaining


def on_payment_ledger_entry_change(doc, method=None) -> None:
	"""doc_event on Payment Ledger Entry submit/cancel: ERPNext's own tools (Payment
	Reconciliation, Unreconcile) can move receivable rows onto the app's vouchers, and ERPNext
	never writes the app's cached balances, so recompute them here."""
	voucher_type, voucher_no = doc.against_voucher_type, doc.against_voucher_no
	if voucher_type == "Fee Invoice":
		refresh_fee_invoice(voucher_no)
	elif voucher_type in ("Credit Note", "Payment Allocation") and frappe.db.exists(voucher_type, voucher_no):
		refresh_credit_source(voucher_type, voucher_no)


# ---------------------------------------------------------------- credit sources (payments)


def open_credits(company: str, party: str, account: str, against_voucher_types) -> list[frappe._dict]:
	"""The customer's open credits on `account`: every voucher of `against_voucher_types` whose
	Payment Ledger balance against itself is negative. Rows: voucher_type, voucher_no,
	posting_date (of the first row against it) and `credit` (a positive Decimal)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	balance = Sum(ple.amount_in_account_currency)
	rows = (
		frappe.qb.from_(ple)
		.select(
			ple.against_voucher_type.as_("voucher_type"),
			ple.against_voucher_no.as_("voucher_no"),
			Min(ple.posting_date).as_("posting_date"),
			balance.as_("balance"),
		)
		.where(
			(ple.company == company)
			& (ple.party_type == "Customer")
			& (ple.party == party)
			& (ple.account == account)
			& (ple.against_voucher_type.isin(list(against_voucher_types)))
			& (ple.delinked == 0)
		)
		.groupby(ple.against_voucher_type, ple.against_voucher_no)
		.having(balance < 0)
	).run(as_dict=True)
	for row in rows:
		row.credit = quantize(-to_decimal(row.pop("balance")))
	return rows


def parties_with_open_credit(company: str, account: str, parties, against_voucher_types) -> set[str]:
	"""Which of `parties` hold any open credit on `account` (see open_credits), in one query."""
	if not parties:
		return set()
	ple = frappe.qb.DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(ple.party)
		.where(
			(ple.company == company)
			& (ple.party_type == "Customer")
			& (ple.party.isin(sorted(parties)))
			& (ple.account == account)
			& (ple.against_voucher_type.isin(list(against_voucher_types)))
			& (ple.delinked == 0)
		)
		.groupby(ple.party, ple.against_voucher_type, ple.against_voucher_no)
		.having(Sum(ple.amount_in_account_currency) < 0)
	).run()
	return {party for (party,) in rows}


def applied_from(
	against_voucher_type: str,
	against_voucher_no: str,
	voucher_type: str,
	*,
	account: str | None = None,
	party: str | None = None,
	for_update: bool = False,
) -> Decimal:
	"""What vouchers of `voucher_type` debited to the receivable against another voucher: e.g. how
	much of an ERPNext Payment Entry's advance the app's Payment Allocations have applied."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	query = (
		frappe.qb.from_(ple)
		.select(Coalesce(Sum(ple.amount_in_account_currency), 0))
		.where(
			(ple.against_voucher_type == against_voucher_type)
			& (ple.against_voucher_no == against_voucher_no)
			& (ple.voucher_type == voucher_type)
			& (ple.delinked == 0)
		)
	)
	if account:
		query = query.where(ple.account == account)
	if party:
		query = query.where((ple.party_type == "Customer") & (ple.party == party))
	return sum_of(query, for_update)


# ---------------------------------------------------------------- many vouchers at once (bulk billing)


def prepare_many(vouchers: list[list[frappe._dict]], company: str) -> list[list[frappe._dict]]:
	"""`prepare` for the GL rows of many vouchers of one company.

	process_gl_map looks up a Cost Center Allocation for every row (one query per row). When the
	company has no submitted allocation that step cannot change a row, so it is skipped and the
	rows go through the same merge and sign-toggle steps make_gl_entries applies; otherwise every
	voucher goes through `prepare` unchanged. The result is the same either way."""
	from erpnext.accounts.general_ledger import merge_similar_entries, toggle_debit_credit_if_negative

	if frappe.db.exists("Cost Center Allocation", {"docstatus": 1, "company": company}):
		return [prepare(rows) for rows in vouchers]
	prepared = []
	for rows in vouchers:
		rows = [r for r in rows if flt(r.debit) or flt(r.credit)]
		prepared.append(
			toggle_debit_credit_if_negative(merge_similar_entries(set_against(rows))) if rows else []
		)
	return prepared
