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

The same figures for every student of a school at once, for the reports, one GROUP BY each
(:func:`invoice_totals_by_student`, :func:`open_credit_by_student`, :func:`deposits_held_by_student`),
and the movements of credit and deposits in a date window (:func:`credit_movements_by_student`,
:func:`deposit_movements_by_student`); for one student on the desk, the credit and deposit histories
and what can still be refunded (a student's statement is ledger/statements.py's).
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, Min, Sum
from frappe.utils import flt, getdate, nowdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import (
	CREDIT_SOURCES,
	DEPOSIT_TO_CREDIT,
	REFUND,
	TYPES_OPENING_CREDIT,
)
from school_fees.permissions import check_school_access
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
	return net_against(
		against_voucher_type, against_voucher_no, account=account, party=party, for_update=for_update
	)


def against(ple, against_voucher_type: str, against_voucher_no: str, voucher_type: str | None = None):
	"""Condition: live Payment Ledger rows against one voucher (posted by `voucher_type` ones only
	when given)."""
	condition = (
		(ple.against_voucher_type == against_voucher_type)
		& (ple.against_voucher_no == against_voucher_no)
		& (ple.delinked == 0)
	)
	if voucher_type:
		condition &= ple.voucher_type == voucher_type
	return condition


def net_against(
	against_voucher_type: str,
	against_voucher_no: str,
	voucher_type: str | None = None,
	*,
	account: str | None = None,
	party: str | None = None,
	for_update: bool = False,
) -> Decimal:
	"""Sum of the live Payment Ledger rows against a voucher (of `voucher_type` vouchers, on
	`account`, of the customer `party`, when given)."""
	ple = payment_ledger()
	query = (
		frappe.qb.from_(ple)
		.select(Coalesce(Sum(ple.amount_in_account_currency), 0))
		.where(against(ple, against_voucher_type, against_voucher_no, voucher_type))
	)
	if account:
		query = query.where(ple.account == account)
	if party:
		query = query.where((ple.party_type == "Customer") & (ple.party == party))
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
	return net_against(
		against_voucher_type,
		against_voucher_no,
		voucher_type,
		account=account,
		party=party,
		for_update=for_update,
	)


def applied_by_party(against_voucher_type: str, against_voucher_no: str, voucher_type: str) -> dict:
	"""applied_from, split by (account, party): what `voucher_type` vouchers applied from one
	voucher for each customer and receivable account."""
	ple = payment_ledger()
	rows = (
		frappe.qb.from_(ple)
		.select(ple.account, ple.party, Sum(ple.amount_in_account_currency))
		.where(against(ple, against_voucher_type, against_voucher_no, voucher_type))
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
	"""get_balance for the desk: needs read permission on the student, or on the customer and every
	school that bills it (a Customer has no school, so User Permissions on Company alone would not
	keep one school from reading another's family balance); floats."""
	if student:
		frappe.has_permission("Student", "read", doc=student, throw=True)
	else:
		frappe.has_permission("Customer", "read", doc=customer, throw=True)
		for company in fee_companies(customer):
			check_school_access(company)
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


# ---------------------------------------------------------------- a whole school at once (reports)
#
# The readers below answer for every student of a school with one GROUP BY each (never a query per
# student). A ledger row belongs to the student named on the document it is against, exactly as
# get_balance counts it for one student: the Fee Invoice; the Credit Note, receipt or deposit moved
# to credit that holds the credit; the Deposit. ERPNext advances name no student and count nowhere
# here. A `scope` narrows any reader to some students, as they are now: ``grade``,
# ``class_sections`` (a list), ``student_status``, ``students`` (a list of Student names); an empty
# list matches nothing.

STUDENT_SCOPE_KEYS = frozenset({"grade", "class_sections", "student_status", "students"})
CREDIT_MOVEMENTS = ("issued", "transferred_from_deposit", "used", "refunded")
DEPOSIT_MOVEMENTS = ("issued", "transferred_to_credit", "used", "refunded")
# Vouchers whose open credit belongs to a student (the other credit sources name none)
STUDENT_CREDIT_SOURCES = ("Credit Note", "Payment Allocation")


def scope_matches_nothing(scope: dict) -> bool:
	unknown = set(scope) - STUDENT_SCOPE_KEYS
	if unknown:
		raise TypeError(f"Unknown student scope {sorted(unknown)}")
	return any(scope.get(key) is not None and not scope[key] for key in ("class_sections", "students"))


def restrict_to_scope(query, student_column, scope: dict):
	"""`query` limited to the rows whose `student_column` is a student of the scope."""
	if scope.get("students") is not None:
		query = query.where(student_column.isin(sorted(set(scope["students"]))))
	if scope.get("grade") or scope.get("class_sections") or scope.get("student_status"):
		student = frappe.qb.DocType("Student")
		query = query.join(student).on(student.name == student_column)
		if scope.get("grade"):
			query = query.where(student.grade == scope["grade"])
		if scope.get("class_sections"):
			query = query.where(student.class_section.isin(sorted(set(scope["class_sections"]))))
		if scope.get("student_status"):
			query = query.where(student.status == scope["student_status"])
	return query


def receivable_rows(ple, company: str, to_date=None, from_date=None):
	"""Condition: the school's live rows on its fee receivable, posted in the window (open at
	either end without its date)."""
	condition = (
		(ple.company == company)
		& (ple.party_type == "Customer")
		& (ple.account == get_company_settings(company).receivable_account)
		& (ple.delinked == 0)
	)
	if to_date:
		condition &= ple.posting_date <= getdate(to_date)
	if from_date:
		condition &= ple.posting_date >= getdate(from_date)
	return condition


def money(value) -> Decimal:
	return quantize(to_decimal(value))


def invoice_totals_by_student(
	company: str,
	as_of,
	from_date=None,
	*,
	academic_term: str | None = None,
	fee_group: str | None = None,
	**scope,
) -> dict[str, tuple[Decimal, Decimal]]:
	"""{student: (invoiced, outstanding)} as of `as_of` for the school's submitted Fee Invoices
	posted from `from_date` (the beginning without one) to `as_of`, optionally of one academic term
	or fee group: grand totals, and what they still owed on `as_of` (get_balance's figures).

	One GROUP BY per student over the Payment Ledger. An invoice settled beyond its amount owes
	nothing rather than a negative amount, as in get_balance. The app's allocations never settle more
	than an invoice owes (they check it under a lock), so only an invoice that some other voucher
	settled (an ERPNext Journal Entry or reconciliation) can be; those few, found through the
	voucher_type index, are summed per invoice on their own. (Summing every invoice first and then
	per student in one statement sorts 40,000 invoices through an on-disk temporary table: several
	times slower.)"""
	if scope_matches_nothing(scope):
		return {}
	as_of = getdate(as_of)
	ple = payment_ledger()
	invoice = frappe.qb.DocType(FEE_INVOICE)
	query = (
		frappe.qb.from_(ple)
		.join(invoice)
		.on(invoice.name == ple.against_voucher_no)
		.where(
			receivable_rows(ple, company, as_of)
			& (ple.against_voucher_type == FEE_INVOICE)
			& (invoice.company == company)
			& (invoice.docstatus == 1)
			& (invoice.posting_date <= as_of)
		)
	)
	if from_date:
		query = query.where(invoice.posting_date >= getdate(from_date))
	if academic_term:
		query = query.where(invoice.academic_term == academic_term)
	if fee_group:
		query = query.where(invoice.fee_group == fee_group)
	query = restrict_to_scope(query, invoice.student, scope)
	invoiced = Sum(Case().when(ple.voucher_type == FEE_INVOICE, ple.amount_in_account_currency).else_(0))
	balance = Sum(ple.amount_in_account_currency)
	totals = {
		student: [money(invoiced_amount), money(owed)]
		for student, invoiced_amount, owed in query.select(invoice.student, invoiced, balance)
		.groupby(invoice.student)
		.run()
	}
	settled_elsewhere = invoices_settled_outside_the_app(company, as_of)
	if settled_elsewhere:
		for student, invoice_balance in (
			query.where(ple.against_voucher_no.isin(settled_elsewhere))
			.select(invoice.student, balance)
			.groupby(ple.against_voucher_no, invoice.student)
			.having(balance < 0)
			.run()
		):
			totals[student][1] -= money(invoice_balance)
	return {student: (amounts[0], amounts[1]) for student, amounts in totals.items()}


def invoices_settled_outside_the_app(company: str, as_of) -> list[str]:
	"""The school's Fee Invoices with a live Payment Ledger row, up to `as_of`, from a voucher that
	is neither the invoice nor a Payment Allocation."""
	ple = payment_ledger()
	return [
		name
		for (name,) in frappe.qb.from_(ple)
		.select(ple.against_voucher_no)
		.distinct()
		.where(
			receivable_rows(ple, company, as_of)
			& (ple.against_voucher_type == FEE_INVOICE)
			& ple.voucher_type.notin((FEE_INVOICE, "Payment Allocation"))
		)
		.run()
	]


def credit_ledger(company: str, to_date=None, from_date=None):
	"""The school's live fee-receivable rows against credit that belongs to a student, with
	`student` (whose credit it is) and `movement` (one of CREDIT_MOVEMENTS: the source's own row
	issues it, or transfers it from a deposit; a refund takes it back; anything else uses it).
	Returns (ple, query, student, movement)."""
	ple = payment_ledger()
	note = frappe.qb.DocType("Credit Note")
	source = frappe.qb.DocType("Payment Allocation", alias="source")
	mover = frappe.qb.DocType("Payment Allocation", alias="mover")
	student = Coalesce(note.student, source.student)
	own_row = (ple.voucher_type == ple.against_voucher_type) & (ple.voucher_no == ple.against_voucher_no)
	movement = (
		Case()
		.when(own_row & (source.allocation_type == DEPOSIT_TO_CREDIT), "transferred_from_deposit")
		.when(own_row, "issued")
		.when(mover.allocation_type == REFUND, "refunded")
		.else_("used")
	)
	query = (
		frappe.qb.from_(ple)
		.left_join(note)
		.on((ple.against_voucher_type == "Credit Note") & (note.name == ple.against_voucher_no))
		.left_join(source)
		.on((ple.against_voucher_type == "Payment Allocation") & (source.name == ple.against_voucher_no))
		.left_join(mover)
		.on((ple.voucher_type == "Payment Allocation") & (mover.name == ple.voucher_no))
		.where(
			receivable_rows(ple, company, to_date, from_date)
			& ple.against_voucher_type.isin(STUDENT_CREDIT_SOURCES)
		)
	)
	return ple, query, student, movement


def open_credit_by_student(company: str, as_of, **scope) -> dict[str, Decimal]:
	"""{student: open credit on `as_of`}: unapplied credit of the student's credit notes, receipt
	remainders and deposits moved to credit (get_balance's open_credit), in one query."""
	if scope_matches_nothing(scope):
		return {}
	ple, query, student, _movement = credit_ledger(company, as_of)
	per_source = query.select(
		student.as_("student"), Sum(ple.amount_in_account_currency).as_("balance")
	).groupby(ple.against_voucher_type, ple.against_voucher_no, student)
	per_source = restrict_to_scope(per_source, student, scope)
	rows = (
		frappe.qb.from_(per_source)
		.select(per_source.student, Sum(Case().when(per_source.balance < 0, -per_source.balance).else_(0)))
		.where(per_source.student.notnull())
		.groupby(per_source.student)
	).run()
	return {student: money(amount) for student, amount in rows}


def credit_movements_by_student(company: str, to_date, from_date=None, **scope) -> dict[str, dict]:
	"""{student: {movement: amount}} of the students' credit posted in the window, for each of
	CREDIT_MOVEMENTS, as positive amounts: credit issued (credit notes, receipt overpayments),
	transferred from a deposit, used on invoices, refunded. Over the whole history, issued +
	transferred - used - refunded is the open credit. One query."""
	if scope_matches_nothing(scope):
		return {}
	ple, query, student, movement = credit_ledger(company, to_date, from_date)
	query = query.select(student, movement.as_("movement"), Sum(ple.amount_in_account_currency)).groupby(
		student, movement
	)
	result: dict[str, dict] = {}
	for name, kind, amount in restrict_to_scope(query, student, scope).run():
		if name:
			figures = result.setdefault(name, dict.fromkeys(CREDIT_MOVEMENTS, ZERO))
			# issuing credit is a credit row on the receivable (negative), using it a debit
			figures[kind] += money(amount) * (-1 if kind in ("issued", "transferred_from_deposit") else 1)
	return result


def deposit_ledger(company: str, to_date=None, from_date=None):
	"""The school's live GL rows on the deposit liability against submitted Deposits, with
	`student` (the Deposit's) and `movement` (one of DEPOSIT_MOVEMENTS: the Deposit's own row issues
	it; a Deposit to Credit transfers it; a refund pays it back; anything else uses it) and `held`
	(credit - debit). Returns (gle, query, student, movement, held)."""
	gle = frappe.qb.DocType("GL Entry")
	deposit = frappe.qb.DocType("Deposit")
	mover = frappe.qb.DocType("Payment Allocation", alias="mover")
	movement = (
		Case()
		.when(gle.voucher_type == "Deposit", "issued")
		.when(mover.allocation_type == DEPOSIT_TO_CREDIT, "transferred_to_credit")
		.when(mover.allocation_type == REFUND, "refunded")
		.else_("used")
	)
	held = gle.credit_in_account_currency - gle.debit_in_account_currency
	query = (
		frappe.qb.from_(gle)
		.join(deposit)
		.on(deposit.name == gle.against_voucher)
		.left_join(mover)
		.on((gle.voucher_type == "Payment Allocation") & (mover.name == gle.voucher_no))
		.where(
			(gle.against_voucher_type == "Deposit")
			& (gle.account == deposit.deposit_account)
			& (gle.party_type == "Customer")
			& (gle.party == deposit.customer)
			& (gle.is_cancelled == 0)
			& (gle.company == company)
			& (deposit.company == company)
			& (deposit.docstatus == 1)
		)
	)
	if to_date:
		query = query.where(gle.posting_date <= getdate(to_date))
	if from_date:
		query = query.where(gle.posting_date >= getdate(from_date))
	return gle, query, deposit.student, movement, held


def deposits_held_by_student(company: str, as_of, **scope) -> dict[str, Decimal]:
	"""{student: deposits held on `as_of`} (get_balance's deposit_held), in one query."""
	if scope_matches_nothing(scope):
		return {}
	_gle, query, student, _movement, held = deposit_ledger(company, as_of)
	query = restrict_to_scope(query.select(student, Sum(held)).groupby(student), student, scope)
	return {name: money(amount) for name, amount in query.run() if name}


def deposit_movements_by_student(company: str, to_date, from_date=None, **scope) -> dict[str, dict]:
	"""{student: {movement: amount}} of the students' deposits posted in the window, for each of
	DEPOSIT_MOVEMENTS, as positive amounts: issued, transferred to credit, used on invoices,
	refunded. Over the whole history, issued - the others is the deposit held. One query."""
	if scope_matches_nothing(scope):
		return {}
	_gle, query, student, movement, held = deposit_ledger(company, to_date, from_date)
	query = query.select(student, movement.as_("movement"), Sum(held)).groupby(student, movement)
	result: dict[str, dict] = {}
	for name, kind, amount in restrict_to_scope(query, student, scope).run():
		if name:
			figures = result.setdefault(name, dict.fromkeys(DEPOSIT_MOVEMENTS, ZERO))
			figures[kind] += money(amount) * (1 if kind == "issued" else -1)
	return result


# ---------------------------------------------------------------- one student's movements (desk)


def student_company_customer(student: str) -> tuple[str, str]:
	company, customer = frappe.db.get_value("Student", student, ["company", "customer"])
	return company, customer


def credit_history(student: str, to_date=None) -> list[frappe._dict]:
	"""Every movement of the student's credit, oldest first: rows with posting_date, voucher_type,
	voucher_no, source_doctype, source_name (the credit moved), movement (CREDIT_MOVEMENTS) and
	amount (positive)."""
	company, customer = student_company_customer(student)
	ple, query, owner, movement = credit_ledger(company, to_date)
	rows = (
		query.select(
			Min(ple.posting_date).as_("posting_date"),
			ple.voucher_type,
			ple.voucher_no,
			ple.against_voucher_type.as_("source_doctype"),
			ple.against_voucher_no.as_("source_name"),
			movement.as_("movement"),
			Sum(ple.amount_in_account_currency).as_("amount"),
			Min(ple.creation).as_("created"),
		)
		.where((ple.party == customer) & (owner == student))
		.groupby(ple.voucher_type, ple.voucher_no, ple.against_voucher_type, ple.against_voucher_no, movement)
		.orderby(Min(ple.posting_date))
		.orderby(Min(ple.creation))
	).run(as_dict=True)
	for row in rows:
		row.amount = abs(money(row.amount))
		row.pop("created")
	return rows


def deposit_history_of_student(student: str, to_date=None) -> list[frappe._dict]:
	"""Every movement of the student's deposits, oldest first: rows with posting_date,
	voucher_type, voucher_no, deposit, movement (DEPOSIT_MOVEMENTS) and amount (positive)."""
	company, _customer = student_company_customer(student)
	gle, query, owner, movement, held = deposit_ledger(company, to_date)
	rows = (
		query.select(
			Min(gle.posting_date).as_("posting_date"),
			gle.voucher_type,
			gle.voucher_no,
			gle.against_voucher.as_("deposit"),
			movement.as_("movement"),
			Sum(held).as_("amount"),
			Min(gle.creation).as_("created"),
		)
		.where(owner == student)
		.groupby(gle.voucher_type, gle.voucher_no, gle.against_voucher, movement)
		.orderby(Min(gle.posting_date))
		.orderby(Min(gle.creation))
	).run(as_dict=True)
	for row in rows:
		row.amount = abs(money(row.amount))
		row.pop("created")
	return rows


def open_sources_of_student(student: str) -> list[frappe._dict]:
	"""The student's credits and deposits that still hold money, oldest first: rows with
	source_doctype, source_name, posting_date and available (a positive Decimal)."""
	company, customer = student_company_customer(student)
	ple, query, owner, _movement = credit_ledger(company)
	balance = Sum(ple.amount_in_account_currency)
	credits = (
		query.select(
			ple.against_voucher_type.as_("source_doctype"),
			ple.against_voucher_no.as_("source_name"),
			Min(ple.posting_date).as_("posting_date"),
			balance.as_("balance"),
		)
		.where((ple.party == customer) & (owner == student))
		.groupby(ple.against_voucher_type, ple.against_voucher_no)
		.having(balance < 0)
	).run(as_dict=True)
	gle, query, owner, _movement, held = deposit_ledger(company)
	deposits = (
		query.select(
			gle.against_voucher.as_("source_name"),
			Min(gle.posting_date).as_("posting_date"),
			Sum(held).as_("balance"),
		)
		.where(owner == student)
		.groupby(gle.against_voucher)
		.having(Sum(held) > 0)
	).run(as_dict=True)
	for row in deposits:
		row.source_doctype = "Deposit"
	rows = credits + deposits
	for row in rows:
		row.available = abs(money(row.pop("balance")))
	return sorted(rows, key=lambda row: (getdate(row.posting_date), row.source_doctype, row.source_name))
