"""GL rows of the app's vouchers, one builder for all four, posted through ERPNext.

Every voucher (Fee Invoice, Payment Allocation, Credit Note, Deposit) builds its rows with
`VoucherEntries`, posts them with `post` (ERPNext's `make_gl_entries`, which validates periods,
frozen dates and balance, and writes Payment Ledger Entries for the receivable rows) and reverses
them with `reverse`. The bulk billing path prepares the very same rows with `prepare_many` and
`payment_ledger_rows`, so both paths write identical GL and Payment Ledger rows.
"""

import frappe
from frappe.utils import flt, getdate

import erpnext
from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import (
	create_accounting_dimensions_for_doctype,
	get_accounting_dimensions,
)
from erpnext.accounts.general_ledger import (
	make_acc_dimensions_offsetting_entry,
	make_gl_entries,
	make_reverse_gl_entries,
	merge_similar_entries,
	process_gl_map,
	toggle_debit_credit_if_negative,
)
from erpnext.accounts.utils import get_fiscal_year, get_payment_ledger_entries

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.ledger import checks, writeback
from school_fees.rows import NewRows, insert_rows

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


# The app's vouchers: rows against them need nothing ERPNext would update on its own vouchers
APP_VOUCHERS = ("Fee Invoice", "Payment Allocation", "Credit Note", "Deposit")


class UnbalancedVoucherError(frappe.ValidationError):
	"""A voucher's debits and credits differ."""


def currency_precision(company: str | None = None) -> int:
	"""Decimal places of money for GL posting (the Currency field precision of the site)."""
	from frappe.model.meta import get_field_precision

	return get_field_precision(frappe.get_meta("GL Entry").get_field("debit"))


def accounting_dimension_fields() -> list[str]:
	"""Fieldnames of the site's accounting dimensions (cost_center is a column of its own)."""
	if frappe.flags.school_fees_dimensions is None:
		frappe.flags.school_fees_dimensions = get_accounting_dimensions()
	return frappe.flags.school_fees_dimensions


def add_dimension_fields(doctype: str) -> None:
	"""Give a voucher DocType a field for every Accounting Dimension of the site (ERPNext adds the
	dimensions created later itself, from the accounting_dimension_doctypes hook)."""
	create_accounting_dimensions_for_doctype(doctype)


class VoucherEntries:
	"""The GL rows of one voucher, complete with every column ERPNext's outstanding queries read.

	Amounts are in company currency (the app's vouchers are single-currency) and rounded to the
	currency precision. What every row of the voucher shares (company currency, fiscal year,
	accounting dimensions copied from the document, cost center, remarks) is worked out once.
	`against` is a (doctype, name) pair: the voucher a receivable or liability amount belongs to.
	"""

	def __init__(self, doc, *, cost_center: str | None = None, remarks: str | None = None):
		self.doc = doc
		self.cost_center = cost_center
		self.remarks = remarks or doc.get("remarks") or f"{doc.doctype} {doc.name}"
		self.currency = erpnext.get_company_currency(doc.company)
		self.posting_date = getdate(doc.posting_date)
		self.fiscal_year = get_fiscal_year(self.posting_date, company=doc.company)[0]
		self.dimensions = {name: doc.get(name) for name in accounting_dimension_fields()}
		self.rows: list[frappe._dict] = []

	def debit(self, account: str, amount, **details) -> "VoucherEntries":
		return self.add(account, debit=amount, **details)

	def credit(self, account: str, amount, **details) -> "VoucherEntries":
		return self.add(account, credit=amount, **details)

	def add(
		self,
		account: str,
		debit=ZERO,
		credit=ZERO,
		*,
		party: str | None = None,
		against: tuple[str, str] | None = None,
		cost_center: str | None = None,
		voucher_detail_no: str | None = None,
		due_date=None,
	) -> "VoucherEntries":
		debit, credit = flt(quantize(debit)), flt(quantize(credit))
		against_type, against_name = against or (None, None)
		row = frappe._dict(
			posting_date=self.posting_date,
			fiscal_year=self.fiscal_year,
			company=self.doc.company,
			account=account,
			cost_center=cost_center or self.cost_center,
			voucher_type=self.doc.doctype,
			voucher_no=self.doc.name,
			voucher_detail_no=voucher_detail_no,
			party_type="Customer" if party else None,
			party=party,
			against_voucher_type=against_type,
			against_voucher=against_name,
			due_date=due_date,
			remarks=self.remarks,
			debit=debit,
			credit=credit,
			debit_in_account_currency=debit,
			credit_in_account_currency=credit,
			account_currency=self.currency,
			transaction_currency=self.currency,
			transaction_exchange_rate=1,
			debit_in_transaction_currency=debit,
			credit_in_transaction_currency=credit,
			is_opening="No",
		)
		row.update(self.dimensions)
		self.rows.append(row)
		return self


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


def non_zero(rows: list[frappe._dict]) -> list[frappe._dict]:
	return [r for r in rows if flt(r.debit) or flt(r.credit)]


def prepare(rows: list[frappe._dict]) -> list[frappe._dict]:
	"""Drop zero rows, set `against`, and merge/round exactly as make_gl_entries will."""
	return process_gl_map(set_against(non_zero(rows)), merge_entries=True)


def post(doc, rows: list[frappe._dict]) -> None:
	"""Post `rows` (built with VoucherEntries) for a submitted `doc`, then write back, at once, every
	app voucher the rows are against.

	When ledger.checks finds nothing ERPNext would refuse on these accounts, customers and date, and
	the site uses no ledger feature the direct write does not reproduce, the GL and Payment Ledger
	rows are written directly: the rows make_gl_entries would write (same merge, same Payment Ledger
	builder; a differential test pins them column for column), without its per-row document
	machinery. Otherwise they go through ERPNext's make_gl_entries, which refuses with its own
	message. `frappe.flags.school_fees_through_erpnext` forces ERPNext's path."""
	assert_balanced(rows, doc)
	rows = set_against(non_zero(rows))
	if writes_directly(doc, rows):
		insert_rows(ledger_documents(prepare_many([rows], doc.company)[0], NewRows()))
	else:
		with writeback.deferred():
			make_gl_entries(rows, merge_entries=True)
	writeback.refresh_against(rows)


def writes_directly(doc, rows: list[frappe._dict]) -> bool:
	"""Whether `rows` may be written without ERPNext's per-row posting (see post)."""
	if frappe.flags.school_fees_through_erpnext or offsets_dimensions(doc.company):
		return False
	if any(row.against_voucher_type and row.against_voucher_type not in APP_VOUCHERS for row in rows):
		return False  # ERPNext keeps outstanding figures of its own vouchers (advances applied)
	accounts = {row.account: row.cost_center for row in rows}
	customers = [row.party for row in rows if row.party_type == "Customer"]
	return not checks.direct_posting_refusal(doc.doctype, doc.company, doc.posting_date, accounts, customers)


def ledger_documents(gl_map: list[frappe._dict], new_rows: NewRows) -> list:
	"""Unsaved, submitted GL Entries for prepared GL rows and the Payment Ledger Entries ERPNext
	builds for them."""
	gl_entries = [new_rows.new("GL Entry", row, docstatus=1) for row in gl_map]
	payment_entries = [new_rows.new(row.doctype, row, docstatus=1) for row in payment_ledger_rows(gl_map)]
	return gl_entries + payment_entries


def reverse(doc) -> None:
	"""Reverse every GL and Payment Ledger row of `doc` (on cancel)."""
	make_reverse_gl_entries(voucher_type=doc.doctype, voucher_no=doc.name)


def ignore_ledger_links(doc) -> None:
	"""Call in on_cancel (before Frappe checks back links) so the ledger's own rows don't block it."""
	doc.ignore_linked_doctypes = LEDGER_LINKED_DOCTYPES


def assert_balanced(rows: list[frappe._dict], doc) -> None:
	debit = sum((to_decimal(r.debit) for r in rows), ZERO)
	credit = sum((to_decimal(r.credit) for r in rows), ZERO)
	if quantize(debit) != quantize(credit):
		frappe.throw(
			frappe._("{0} {1} does not balance: debit {2}, credit {3}").format(
				doc.doctype, doc.name, debit, credit
			),
			UnbalancedVoucherError,
		)


# ---------------------------------------------------------------- many vouchers at once (bulk billing)


def prepare_many(vouchers: list[list[frappe._dict]], company: str) -> list[list[frappe._dict]]:
	"""`prepare` for the GL rows of many vouchers of one company.

	process_gl_map looks up a Cost Center Allocation for every row (one query per row). When the
	company has no submitted allocation that step cannot change a row, so it is skipped and the
	rows go through the same merge and sign-toggle steps make_gl_entries applies; otherwise every
	voucher goes through `prepare` unchanged. The result is the same either way."""
	if frappe.db.exists("Cost Center Allocation", {"docstatus": 1, "company": company}):
		return [prepare(rows) for rows in vouchers]
	prepared = []
	for rows in vouchers:
		rows = non_zero(rows)
		prepared.append(
			toggle_debit_credit_if_negative(merge_similar_entries(set_against(rows))) if rows else []
		)
	return prepared


def offsets_dimensions(company: str) -> bool:
	"""The company asks ERPNext for balancing rows per accounting dimension."""
	return bool(
		frappe.get_all(
			"Accounting Dimension Detail",
			filters={"company": company, "automatically_post_balancing_accounting_entry": 1},
			limit=1,
		)
	)


def add_dimension_offsets(rows: list[frappe._dict]) -> None:
	make_acc_dimensions_offsetting_entry(rows)


def payment_ledger_rows(gl_map: list[frappe._dict]) -> list:
	"""The Payment Ledger Entries ERPNext writes for these (prepared) GL rows, unsaved."""
	return get_payment_ledger_entries(gl_map)
