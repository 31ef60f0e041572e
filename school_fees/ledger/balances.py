"""Every read of the GL and Payment Ledger that school_fees makes.

Balances of the app's vouchers are always read from the ledger, never from a cached field:
Payment Ledger Entry for the fee receivable (invoice outstanding, open credit of a credit note, a
receipt's remainder or an ERPNext advance), GL Entry for the deposit liability. Delinked
(cancelled) Payment Ledger rows and cancelled GL rows count nowhere.

`for_update` makes a read a locking read: under REPEATABLE READ a plain SELECT sees the snapshot
taken at the transaction's first read, so a balance re-checked after waiting for a row lock would
miss what the lock holder committed. Every check made inside a lock uses it.

A student's (or a billing customer's) figures as of a date (:func:`get_balance`):

- ``invoiced``: grand totals of the submitted Fee Invoices posted up to the date;
- ``outstanding``: what those invoices still owe; ``paid``: ``invoiced - outstanding``;
- ``open_credit``: unapplied credit (credit notes, receipt remainders, deposits moved to credit,
  ERPNext advances on the fee receivable);
- ``deposit_held``: deposits still held on the deposit liability account.

With ``student`` the invoices are that student's; credit and deposits are those whose document names
the student. With only ``customer`` (a family account shared by siblings) everything of the customer
counts, including ERPNext advances, which name no student.
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, Min, Sum
from frappe.utils import flt, getdate, nowdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import CREDIT_SOURCES, TYPES_OPENING_CREDIT
from school_fees.settings import get_company_settings

FEE_INVOICE = "Fee Invoice"
BALANCE_KEYS = ("invoiced", "paid", "outstanding", "open_credit", "deposit_held")


def payment_ledger():
	return frappe.qb.DocType("Payment Ledger Entry")


def sum_of(query, for_update: bool = False) -> Decimal:
	"""Run a single-SUM query (as a locking read when asked) and return it as money."""
	if for_update:
		query = query.for_update()
	return quantize(to_decimal(query.run()[0][0]))


def lock_rows(doctype: str, names: list[str]) -> None:
	"""SELECT ... FOR UPDATE on the given documents, in name order (no deadlocks between two
	allocators that lock overlapping sets), until the transaction ends."""
	if names:
		table = frappe.qb.DocType(doctype)
		frappe.qb.from_(table).select(table.name).where(table.name.isin(sorted(set(names)))).orderby(
			table.name
		).for_update().run()


# ---------------------------------------------------------------- one voucher, many vouchers


def receivable_balance(
	against_voucher_type: str,
	against_voucher_no: str,
	party: str | None = None,
	*,
	account: str | None = None,
	for_update: bool = False,
) -> Decimal:
	"""Net receivable against a voucher (positive: owed to the school; negative: open credit of
	the customer)."""
	ple = payment_ledger()
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
	"""receivable_balance for many vouchers in one query."""
	if not names:
		return {}
	ple = payment_ledger()
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
	balances = {name: ZERO for name in names}
	balances.update({name: quantize(to_decimal(amount)) for name, amount in query.run()})
	return balances


def liability_balance(
	account: str, against_voucher_type: str, against_voucher: str, *, for_update: bool = False
) -> Decimal:
	"""Credit balance held on a liability account against a voucher (deposits), from GL Entry."""
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


def settling_vouchers(fee_invoice: str) -> list[tuple[str, str]]:
	"""(voucher_type, voucher_no) of the other vouchers with a live Payment Ledger row against the
	invoice: whatever paid, credited or reconciled it."""
	ple = payment_ledger()
	return [
		(voucher_type, voucher_no)
		for voucher_type, voucher_no in (
			frappe.qb.from_(ple)
			.select(ple.voucher_type, ple.voucher_no)
			.distinct()
			.where(
				(ple.against_voucher_type == FEE_INVOICE)
				& (ple.against_voucher_no == fee_invoice)
				& (ple.delinked == 0)
				& ((ple.voucher_type != FEE_INVOICE) | (ple.voucher_no != fee_invoice))
			)
		).run()
	]


# ---------------------------------------------------------------- open credit


def open_credits(company: str, party: str, account: str, against_voucher_types) -> list[frappe._dict]:
	"""The customer's open credits on `account`: every voucher of `against_voucher_types` whose
	Payment Ledger balance against itself is negative. Rows: voucher_type, voucher_no,
	posting_date (of the first row against it) and `credit` (a positive Decimal)."""
	ple = payment_ledger()
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
	ple = payment_ledger()
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
	ple = payment_ledger()
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


def applied_by_party(against_voucher_type: str, against_voucher_no: str, voucher_type: str) -> dict:
	"""applied_from, split by (account, party): what `voucher_type` vouchers applied from one
	voucher for each customer and receivable account."""
	ple = payment_ledger()
	rows = (
		frappe.qb.from_(ple)
		.select(ple.account, ple.party, Sum(ple.amount_in_account_currency))
		.where(
			(ple.against_voucher_type == against_voucher_type)
			& (ple.against_voucher_no == against_voucher_no)
			& (ple.voucher_type == voucher_type)
			& (ple.delinked == 0)
		)
		.groupby(ple.account, ple.party)
	).run()
	return {(account, party): to_decimal(amount) for account, party, amount in rows}


def applied_from_many(
	vouchers: list[tuple[str, str]], voucher_type: str, *, account: str, party: str
) -> dict[tuple[str, str], Decimal]:
	"""applied_from for many (doctype, name) vouchers of one party and account, in one query."""
	if not vouchers:
		return {}
	ple = payment_ledger()
	rows = (
		frappe.qb.from_(ple)
		.select(ple.against_voucher_type, ple.against_voucher_no, Sum(ple.amount_in_account_currency))
		.where(
			(ple.against_voucher_type.isin(sorted({doctype for doctype, _name in vouchers})))
			& (ple.against_voucher_no.isin(sorted({name for _doctype, name in vouchers})))
			& (ple.voucher_type == voucher_type)
			& (ple.account == account)
			& (ple.party == party)
			& (ple.delinked == 0)
		)
		.groupby(ple.against_voucher_type, ple.against_voucher_no)
	).run()
	return {(doctype, name): to_decimal(amount) for doctype, name, amount in rows}


# ---------------------------------------------------------------- a student's balance as of a date


def get_balance(student: str | None = None, customer: str | None = None, as_of=None) -> dict:
	"""Balance figures of a student or customer as of `as_of` (default today), from the ledger."""
	if not student and not customer:
		frappe.throw(_("Give a student or a customer."))
	as_of = getdate(as_of or nowdate())
	company = None
	if student:
		customer_of_student, company = frappe.db.get_value("Student", student, ["customer", "company"])
		customer = customer or customer_of_student
		if customer != customer_of_student:
			frappe.throw(
				_("Student {0} is billed to {1}, not {2}.").format(student, customer_of_student, customer)
			)
	companies = [company] if company else fee_companies(customer)
	result = {key: ZERO for key in BALANCE_KEYS}
	for company in companies:
		receivable = get_company_settings(company).receivable_account
		invoiced, outstanding = invoice_figures(company, customer, receivable, as_of, student)
		result["invoiced"] += invoiced
		result["outstanding"] += outstanding
		result["open_credit"] += open_credit_as_of(company, customer, receivable, as_of, student)
		result["deposit_held"] += deposit_held_as_of(company, customer, as_of, student)
	result["paid"] = result["invoiced"] - result["outstanding"]
	result = {key: quantize(value) for key, value in result.items()}
	result.update(customer=customer, student=student, as_of=as_of)
	return result


@frappe.whitelist()
def get_student_balance(
	student: str | None = None, customer: str | None = None, as_of: str | None = None
) -> dict:
	"""get_balance for the desk: needs read permission on the student (or customer); floats."""
	if student:
		frappe.has_permission("Student", "read", doc=student, throw=True)
	else:
		frappe.has_permission("Customer", "read", doc=customer, throw=True)
	balance = get_balance(student, customer, as_of)
	return {key: flt(value) if key in BALANCE_KEYS else value for key, value in balance.items()}


def fee_companies(customer: str) -> list[str]:
	return frappe.get_all(
		FEE_INVOICE, filters={"customer": customer, "docstatus": 1}, pluck="company", distinct=True
	) or frappe.get_all("Student", filters={"customer": customer}, pluck="company", distinct=True)


def student_vouchers(doctype: str, customer: str, student: str, **filters) -> list[str]:
	return frappe.get_all(
		doctype,
		filters={"customer": customer, "student": student, "docstatus": 1, **filters},
		pluck="name",
	)


def party_rows_as_of(company: str, customer: str, account: str, as_of):
	ple = payment_ledger()
	query = frappe.qb.from_(ple).where(
		(ple.company == company)
		& (ple.party_type == "Customer")
		& (ple.party == customer)
		& (ple.account == account)
		& (ple.posting_date <= as_of)
		& (ple.delinked == 0)
	)
	return ple, query


def invoice_figures(company, customer, account, as_of, student=None) -> tuple[Decimal, Decimal]:
	"""(invoiced, outstanding) of the customer's (or student's) Fee Invoices as of the date."""
	ple, query = party_rows_as_of(company, customer, account, as_of)
	query = query.where(ple.against_voucher_type == FEE_INVOICE)
	if student:
		names = student_vouchers(FEE_INVOICE, customer, student)
		if not names:
			return ZERO, ZERO
		query = query.where(ple.against_voucher_no.isin(names))
	rows = (
		query.select(
			ple.against_voucher_no,
			Sum(Case().when(ple.voucher_type == FEE_INVOICE, ple.amount_in_account_currency).else_(0)),
			Sum(ple.amount_in_account_currency),
		)
		.groupby(ple.against_voucher_no)
		.run()
	)
	invoiced = sum((to_decimal(row[1]) for row in rows), ZERO)
	outstanding = sum((max(to_decimal(row[2]), ZERO) for row in rows), ZERO)
	return invoiced, outstanding


def open_credit_as_of(company, customer, account, as_of, student=None) -> Decimal:
	"""Unapplied credit as of the date: minus the balances of the customer's credit sources."""
	ple, query = party_rows_as_of(company, customer, account, as_of)
	query = query.where(ple.against_voucher_type.isin(list(CREDIT_SOURCES)))
	if student:
		names = student_vouchers("Credit Note", customer, student) + student_vouchers(
			"Payment Allocation", customer, student, allocation_type=("in", TYPES_OPENING_CREDIT)
		)
		if not names:
			return ZERO
		query = query.where(ple.against_voucher_no.isin(names))
	rows = (
		query.select(ple.against_voucher_no, Sum(ple.amount_in_account_currency))
		.groupby(ple.against_voucher_type, ple.against_voucher_no)
		.run()
	)
	return sum((max(-to_decimal(row[1]), ZERO) for row in rows), ZERO)


def deposit_held_as_of(company, customer, as_of, student=None) -> Decimal:
	"""Deposits held as of the date: their credit balance on the deposit liability accounts."""
	filters = {"company": company, "customer": customer, "docstatus": 1}
	if student:
		filters["student"] = student
	deposits = frappe.get_all("Deposit", filters=filters, fields=["name", "deposit_account"])
	if not deposits:
		return ZERO
	gle = frappe.qb.DocType("GL Entry")
	value = (
		frappe.qb.from_(gle)
		.select(Sum(gle.credit_in_account_currency - gle.debit_in_account_currency))
		.where(
			(gle.account.isin(list({d.deposit_account for d in deposits})))
			& (gle.against_voucher_type == "Deposit")
			& (gle.against_voucher.isin([d.name for d in deposits]))
			& (gle.party == customer)
			& (gle.posting_date <= as_of)
			& (gle.is_cancelled == 0)
		)
	).run()[0][0]
	return to_decimal(value)
