"""Whole-school reads of the fee ledger, one GROUP BY per figure: the proof that the fee sub-ledger
agrees with the general ledger, and each school's totals for a trust.

Reconciliation (:func:`reconcile`), per school and customer, as of a date (or of every posting):

- fee receivable: the open fee documents, ``invoice_outstanding - open_credit``, against the
  customer's balance on the school's fee receivable in GL Entry (``debit - credit``).
  ``invoice_outstanding`` adds up the positive Payment Ledger balance of each submitted Fee Invoice;
  ``open_credit`` the negative balance of each credit source (core.payment_types.CREDIT_SOURCES:
  Credit Notes, receipt remainders and deposits moved to credit, ERPNext Payment Entry and Journal
  Entry advances), as ledger.balances reads them one customer at a time;
- deposits: ``deposits_held`` (the credit balance of each submitted Deposit on the deposit liability,
  from GL Entry) against the customer's whole balance on the deposit account(s).

Each difference is exactly the sum of what the documents leave out, and :func:`explain` names those
vouchers: a balance on the fee receivable that belongs to no fee document (a Journal Entry or a Sales
Invoice debiting the fee receivable), an invoice credited beyond its amount, a credit applied or
refunded beyond what it held, a voucher whose GL Entry and Payment Ledger rows disagree, a row on the
deposit account that is not against a Deposit. Nothing is read from the documents' cached amounts.

A school's fee receivable is the account of its School Fees Settings row plus any other account its
submitted Fee Invoices were posted to (the setting may have changed since); its deposit accounts
likewise (the setting plus the accounts of its Deposits).

Per-school totals (:func:`school_figures`) of the Fee Invoices posted in a window: billed, still
outstanding, overdue, from the Payment Ledger rows against those invoices (the trust rollup and the
workspace cards).
"""

from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Max, Sum
from frappe.utils import getdate

from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import CREDIT_SOURCES
from school_fees.ledger.balances import FEE_INVOICE, payment_ledger
from school_fees.permissions import schools_under
from school_fees.settings import get_company_settings, has_company_settings

DEPOSIT = "Deposit"
RECEIVABLE = "receivable"
DEPOSITS = "deposits"

# (company, party_type, party): one row of the reconciliation
Key = tuple[str, str, str]


def fee_accounts(companies: list[str]) -> dict[str, frappe._dict]:
	"""company -> ``receivable`` and ``deposit`` account lists (settings plus the documents' own)."""
	accounts = {
		company: frappe._dict(receivable=set(), deposit=set())
		for company in companies
		if has_company_settings(company)
	}
	for company, row in accounts.items():
		settings = get_company_settings(company)
		row.receivable.add(settings.receivable_account)
		if settings.deposit_account:
			row.deposit.add(settings.deposit_account)
	for doctype, fieldname, key in (
		(FEE_INVOICE, "receivable_account", "receivable"),
		(DEPOSIT, "deposit_account", "deposit"),
	):
		for company, account in frappe.get_all(
			doctype,
			filters={"company": ("in", list(accounts)), "docstatus": 1},
			fields=["company", fieldname],
			distinct=True,
			as_list=True,
		):
			if account:
				accounts[company][key].add(account)
	return {
		company: frappe._dict(receivable=sorted(row.receivable), deposit=sorted(row.deposit))
		for company, row in accounts.items()
	}


def _all(accounts: dict[str, frappe._dict], key: str) -> list[str]:
	return sorted({account for row in accounts.values() for account in row[key]})


def _up_to(table, as_of):
	"""Rows posted up to `as_of`; every row when it is None (future-dated ones too)."""
	return table.posting_date <= as_of if as_of else table.posting_date.notnull()


def _money(value) -> Decimal:
	return quantize(to_decimal(value))


def _on_accounts(table, live, accounts, kind: str, as_of, parties=None):
	"""Condition: rows of `table` (GL Entry or Payment Ledger Entry) of the schools on their `kind`
	accounts, `live` (not cancelled / not delinked), up to `as_of`, of `parties` when given."""
	condition = (
		table.company.isin(list(accounts))
		& table.account.isin(_all(accounts, kind))
		& live
		& _up_to(table, as_of)
	)
	if parties is not None:
		condition &= table.party.isin(parties)
	return condition


# ---------------------------------------------------------------- what each balance counts as


def _receivable_balances(accounts, as_of, parties=None):
	"""Payment Ledger balance of each (customer, against voucher) on the fee receivables, with the
	docstatus of the Fee Invoice it is against (NULL for any other voucher)."""
	ple = payment_ledger()
	invoice = frappe.qb.DocType(FEE_INVOICE)
	return (
		frappe.qb.from_(ple)
		.left_join(invoice)
		.on((ple.against_voucher_type == FEE_INVOICE) & (invoice.name == ple.against_voucher_no))
		.select(
			ple.company,
			ple.party_type,
			ple.party,
			ple.against_voucher_type,
			ple.against_voucher_no,
			Sum(ple.amount).as_("balance"),
			Max(invoice.docstatus).as_("docstatus"),
		)
		.where(_on_accounts(ple, ple.delinked == 0, accounts, RECEIVABLE, as_of, parties))
		.groupby(ple.company, ple.party_type, ple.party, ple.against_voucher_type, ple.against_voucher_no)
	)


def _invoice_outstanding(t):
	"""A submitted Fee Invoice's positive balance: what it still owes."""
	return (
		Case()
		.when((t.against_voucher_type == FEE_INVOICE) & (t.docstatus == 1) & (t.balance > 0), t.balance)
		.else_(0)
	)


def _open_credit(t):
	"""A credit source's negative balance: credit not yet applied or refunded (positive)."""
	return (
		Case().when(t.against_voucher_type.isin(list(CREDIT_SOURCES)) & (t.balance < 0), -t.balance).else_(0)
	)


def _deposit_balances(accounts, as_of, parties=None):
	"""GL balance (credit - debit) of each (party, against voucher, voucher) on the deposit accounts,
	with the docstatus of the Deposit it is against. The voucher itself is kept for rows against
	nothing (the voucher that posted them is what explains them)."""
	gle = frappe.qb.DocType("GL Entry")
	deposit = frappe.qb.DocType(DEPOSIT)
	against_nothing = gle.against_voucher.isnull() | (gle.against_voucher == "")
	voucher_type = Case().when(against_nothing, gle.voucher_type).else_(gle.against_voucher_type)
	voucher_no = Case().when(against_nothing, gle.voucher_no).else_(gle.against_voucher)
	return (
		frappe.qb.from_(gle)
		.left_join(deposit)
		.on((gle.against_voucher_type == DEPOSIT) & (deposit.name == gle.against_voucher))
		.select(
			gle.company,
			gle.party_type,
			gle.party,
			voucher_type.as_("against_voucher_type"),
			voucher_no.as_("against_voucher_no"),
			Sum(gle.credit - gle.debit).as_("balance"),
			Max(deposit.docstatus).as_("docstatus"),
		)
		.where(_on_accounts(gle, gle.is_cancelled == 0, accounts, "deposit", as_of, parties))
		.groupby(gle.company, gle.party_type, gle.party, voucher_type, voucher_no)
	)


def _deposit_held(t):
	"""A submitted Deposit's credit balance on the deposit account: what the school holds."""
	return (
		Case()
		.when((t.against_voucher_type == DEPOSIT) & (t.docstatus == 1) & (t.balance > 0), t.balance)
		.else_(0)
	)


def _gl_receivable(accounts, as_of, parties=None):
	gle = frappe.qb.DocType("GL Entry")
	return (
		frappe.qb.from_(gle)
		.select(gle.company, gle.party_type, gle.party, Sum(gle.debit - gle.credit))
		.where(_on_accounts(gle, gle.is_cancelled == 0, accounts, RECEIVABLE, as_of, parties))
		.groupby(gle.company, gle.party_type, gle.party)
	)


# ---------------------------------------------------------------- the reconciliation


def _key(company, party_type, party) -> Key:
	return (company, party_type or "", party or "")


def reconcile(companies: list[str], as_of=None, parties: list[str] | None = None) -> list[frappe._dict]:
	"""One row per school and party with anything on the fee receivable or the deposit accounts.

	Row: ``company``, ``party_type``, ``party``, ``invoice_outstanding``, ``open_credit``,
	``documents_balance`` (outstanding - credit), ``gl_balance`` (fee receivable in GL),
	``receivable_difference`` (gl - documents), ``deposits_held``, ``deposit_gl_balance``,
	``deposit_difference`` (gl - held); Decimals. ``parties`` limits the rows to those customers."""
	as_of = getdate(as_of) if as_of else None
	accounts = fee_accounts(companies)
	if not accounts or parties == []:
		return []
	rows: dict[Key, frappe._dict] = {}

	def row(key: Key) -> frappe._dict:
		if key not in rows:
			rows[key] = frappe._dict(
				company=key[0],
				party_type=key[1],
				party=key[2],
				invoice_outstanding=ZERO,
				open_credit=ZERO,
				gl_balance=ZERO,
				deposits_held=ZERO,
				deposit_gl_balance=ZERO,
			)
		return rows[key]

	t = _receivable_balances(accounts, as_of, parties)
	for company, party_type, party, outstanding, credit in (
		frappe.qb.from_(t)
		.select(t.company, t.party_type, t.party, Sum(_invoice_outstanding(t)), Sum(_open_credit(t)))
		.groupby(t.company, t.party_type, t.party)
	).run():
		target = row(_key(company, party_type, party))
		target.invoice_outstanding, target.open_credit = _money(outstanding), _money(credit)

	for company, party_type, party, balance in _gl_receivable(accounts, as_of, parties).run():
		row(_key(company, party_type, party)).gl_balance = _money(balance)

	if _all(accounts, "deposit"):
		t = _deposit_balances(accounts, as_of, parties)
		for company, party_type, party, held, balance in (
			frappe.qb.from_(t)
			.select(t.company, t.party_type, t.party, Sum(_deposit_held(t)), Sum(t.balance))
			.groupby(t.company, t.party_type, t.party)
		).run():
			target = row(_key(company, party_type, party))
			target.deposits_held, target.deposit_gl_balance = _money(held), _money(balance)

	for r in rows.values():
		r.documents_balance = r.invoice_outstanding - r.open_credit
		r.receivable_difference = r.gl_balance - r.documents_balance
		r.deposit_difference = r.deposit_gl_balance - r.deposits_held
	return sorted(rows.values(), key=lambda r: (r.company, r.party_type, r.party))


def explain(companies: list[str], keys: list[Key], as_of=None) -> dict[Key, list[frappe._dict]]:
	"""The vouchers behind the differences of `keys` (rows of :func:`reconcile`).

	Each explanation: ``ledger`` (``receivable`` or ``deposits``), ``voucher_type``, ``voucher_no``,
	``amount`` (its part of that ledger's difference; a row's explanations add up to it exactly) and
	``reason``."""
	as_of = getdate(as_of) if as_of else None
	accounts = fee_accounts(companies)
	explanations: dict[Key, list[frappe._dict]] = {key: [] for key in keys}
	parties = sorted({key[2] for key in keys})
	if not accounts or not keys:
		return explanations

	def add(key, ledger, voucher_type, voucher_no, amount, reason):
		key = _key(*key)
		if key in explanations and amount:
			explanations[key].append(
				frappe._dict(
					ledger=ledger,
					voucher_type=voucher_type,
					voucher_no=voucher_no,
					amount=amount,
					reason=reason,
				)
			)

	# balances the open documents leave out
	t = _receivable_balances(accounts, as_of, parties)
	for company, party_type, party, doctype, name, balance, docstatus, amount in _left_out(
		t, t.balance - _invoice_outstanding(t) + _open_credit(t)
	):
		reason = receivable_reason(doctype, _money(balance), docstatus)
		add((company, party_type, party), RECEIVABLE, doctype, name, _money(amount), reason)

	# vouchers whose GL Entry and Payment Ledger rows disagree
	gle, ple = frappe.qb.DocType("GL Entry"), payment_ledger()
	gl_by_voucher = _per_voucher(gle, gle.debit - gle.credit, gle.is_cancelled == 0, accounts, as_of, parties)
	ple_by_voucher = _per_voucher(ple, ple.amount, ple.delinked == 0, accounts, as_of, parties)
	for voucher in sorted(set(gl_by_voucher) | set(ple_by_voucher)):
		gap = gl_by_voucher.get(voucher, ZERO) - ple_by_voucher.get(voucher, ZERO)
		if gap:
			company, party_type, party, doctype, name = voucher
			add(
				(company, party_type, party),
				RECEIVABLE,
				doctype,
				name,
				gap,
				_("Its GL Entry and Payment Ledger Entry rows on the fee receivable differ"),
			)

	if _all(accounts, "deposit"):
		t = _deposit_balances(accounts, as_of, parties)
		for company, party_type, party, doctype, name, balance, docstatus, amount in _left_out(
			t, t.balance - _deposit_held(t)
		):
			reason = deposit_reason(doctype, _money(balance), docstatus)
			add((company, party_type, party), DEPOSITS, doctype, name, _money(amount), reason)

	for rows in explanations.values():
		rows.sort(key=lambda e: (e.ledger != RECEIVABLE, e.voucher_type or "", e.voucher_no or ""))
	return explanations


def receivable_reason(doctype: str, balance: Decimal, docstatus) -> str:
	"""Why a balance against `doctype` on the fee receivable is not an open fee document."""
	if doctype == FEE_INVOICE:
		if docstatus != 1:
			return _("A Fee Invoice that is not submitted still has Payment Ledger rows")
		return _("Fee Invoice credited beyond its amount")
	if doctype in CREDIT_SOURCES:
		if doctype in ("Journal Entry", "Payment Entry"):
			return _("Debit on the fee receivable that no Fee Invoice carries")
		return _("More applied or refunded than this credit held")
	return _("{0} on the fee receivable is not a fee document").format(_(doctype))


def deposit_reason(doctype: str, balance: Decimal, docstatus) -> str:
	"""Why a balance on the deposit account is not a deposit held."""
	if doctype == DEPOSIT:
		if docstatus != 1:
			return _("A Deposit that is not submitted still has GL rows on the deposit account")
		return _("More used, moved or refunded than this Deposit held")
	return _("Posted to the deposit account without a Deposit")


def _left_out(t, left_out):
	"""The balances of `t` (grouped per against voucher) that the open documents leave out: company,
	party type, party, against voucher type and no, balance, docstatus, and the amount left out."""
	return (
		frappe.qb.from_(t)
		.select(
			t.company,
			t.party_type,
			t.party,
			t.against_voucher_type,
			t.against_voucher_no,
			t.balance,
			t.docstatus,
			left_out,
		)
		.where(left_out != 0)
	).run()


def _per_voucher(table, amount, live, accounts, as_of, parties) -> dict[tuple, Decimal]:
	"""Sum of `amount` on the fee receivables per (company, party type, party, voucher type, voucher
	no), from GL Entry or Payment Ledger Entry (`table`, with its `live` condition)."""
	rows = (
		frappe.qb.from_(table)
		.select(
			table.company,
			table.party_type,
			table.party,
			table.voucher_type,
			table.voucher_no,
			Sum(amount),
		)
		.where(_on_accounts(table, live, accounts, RECEIVABLE, as_of, parties))
		.groupby(table.company, table.party_type, table.party, table.voucher_type, table.voucher_no)
	).run()
	return {_key(*row[:3]) + tuple(row[3:5]): _money(row[5]) for row in rows}


# ---------------------------------------------------------------- per-school totals


def school_figures(
	companies: list[str],
	*,
	from_date=None,
	to_date=None,
	academic_terms: list[str] | None = None,
	sections: list[str] | None = None,
	overdue_on=None,
) -> dict[str, frappe._dict]:
	"""company -> totals of its submitted Fee Invoices posted in the window (and of the terms and
	class sections, when given), as the ledger stands at `to_date`:

	``billed`` (the invoices' own rows: their grand totals), ``outstanding`` (what they still owe),
	``collected`` (billed - outstanding: settled by receipts, credit or deposits), ``overdue`` and
	``overdue_invoices`` (outstanding on invoices due before `overdue_on`), ``invoices``,
	``students``. Decimals and ints; schools without invoices are absent."""
	if sections == [] or academic_terms == [] or not companies:
		return {}
	ple = payment_ledger()
	invoice = frappe.qb.DocType(FEE_INVOICE)
	own_row = (ple.voucher_type == FEE_INVOICE) & (ple.voucher_no == invoice.name)
	inner = (
		frappe.qb.from_(invoice)
		.join(ple)
		.on((ple.against_voucher_type == FEE_INVOICE) & (ple.against_voucher_no == invoice.name))
		.select(
			invoice.company,
			invoice.name,
			invoice.due_date,
			invoice.student,
			Sum(Case().when(own_row, ple.amount).else_(0)).as_("billed"),
			Sum(ple.amount).as_("balance"),
		)
		.where(invoice.company.isin(companies) & (invoice.docstatus == 1) & (ple.delinked == 0))
		.groupby(invoice.company, invoice.name, invoice.due_date, invoice.student)
	)
	if from_date:
		inner = inner.where(invoice.posting_date >= getdate(from_date))
	if to_date:
		inner = inner.where(
			(invoice.posting_date <= getdate(to_date)) & (ple.posting_date <= getdate(to_date))
		)
	if academic_terms:
		inner = inner.where(invoice.academic_term.isin(academic_terms))
	if sections is not None:
		inner = inner.where(invoice.class_section.isin(sections))

	t = inner
	owing = t.balance > 0
	overdue = owing & (t.due_date < getdate(overdue_on))
	figures = {}
	for company, billed, outstanding, overdue_amount, overdue_invoices, invoices, students in (
		frappe.qb.from_(t)
		.select(
			t.company,
			Sum(t.billed),
			Sum(Case().when(owing, t.balance).else_(0)),
			Sum(Case().when(overdue, t.balance).else_(0)),
			Sum(Case().when(overdue, 1).else_(0)),
			Count("*"),
			Count(t.student).distinct(),
		)
		.groupby(t.company)
	).run():
		billed, outstanding = _money(billed), _money(outstanding)
		figures[company] = frappe._dict(
			billed=billed,
			outstanding=outstanding,
			collected=billed - outstanding,
			overdue=_money(overdue_amount),
			overdue_invoices=int(overdue_invoices or 0),
			invoices=int(invoices or 0),
			students=int(students or 0),
		)
	return figures
