"""Money in and out of a student's account: receipts, credit and deposits applied to fee invoices,
refunds, deposits moved to credit, credit notes in bulk, and automatic use of open credit.

Every movement is a Payment Allocation posted through :mod:`school_fees.ledger`. The amounts a
document may still give or receive are always read from the ledger, never from cached fields:

- a Fee Invoice's outstanding: its Payment Ledger balance;
- a credit source's open credit (Credit Note, a receipt's remainder, a deposit moved to credit, an
  ERPNext Payment Entry or Journal Entry advance on the fee receivable): minus its Payment Ledger
  balance;
- a deposit's held amount: its balance on the deposit liability account (GL Entry).

At submit the invoices and the source are locked (SELECT ... FOR UPDATE) and their balances re-read
with locking reads, so two allocations racing for the same invoice or credit cannot both pass.

ERPNext's own advance tools (Payment Reconciliation, Sales Invoice advances) know nothing of the
app's allocations. The Payment Entry / Journal Entry guards below refuse to allocate an advance
the app already applied, and the Payment Reconciliation hook hides what is used up.
"""

import json
from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, fmt_money, getdate

from school_fees import ledger
from school_fees.core.allocation import OpenItem
from school_fees.core.credits import CreditSource, plan_credit_application
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.setup.settings import get_company_settings

RECEIPT = "Receipt"
APPLY_CREDIT = "Apply Credit"
APPLY_DEPOSIT = "Apply Deposit"
REFUND = "Refund"
DEPOSIT_TO_CREDIT = "Deposit to Credit"

CREDIT_SOURCES = tuple(ledger.CREDIT_SOURCE_DOCTYPES)
SOURCES_BY_TYPE = {
	RECEIPT: (),
	APPLY_CREDIT: CREDIT_SOURCES,
	APPLY_DEPOSIT: ("Deposit",),
	REFUND: (*CREDIT_SOURCES, "Deposit"),
	DEPOSIT_TO_CREDIT: ("Deposit",),
}
# Types whose rows name fee invoices; types that move cash; types leaving open credit on themselves
TYPES_WITH_INVOICES = (RECEIPT, APPLY_CREDIT, APPLY_DEPOSIT)
TYPES_WITH_CASH = (RECEIPT, REFUND)
TYPES_OPENING_CREDIT = (RECEIPT, DEPOSIT_TO_CREDIT)


class PaymentAllocationError(frappe.ValidationError):
	"""A Payment Allocation is incomplete or inconsistent."""


class OverAllocationError(PaymentAllocationError):
	"""More is allocated than an invoice owes or than a receipt, credit or deposit holds."""


class CreditSourceError(PaymentAllocationError):
	"""The credit or deposit named as source cannot be used by this allocation."""


class AdvanceAlreadyAppliedError(frappe.ValidationError):
	"""ERPNext tried to allocate an advance that School Fees already applied to fee invoices."""


def money(amount, currency: str | None = None) -> str:
	return fmt_money(flt(amount), currency=currency)


# ---------------------------------------------------------------- accounts


def validate_student_customer(doc, error: type[frappe.ValidationError]) -> None:
	"""A payment document naming a student must be for the customer that student is billed to."""
	if not doc.student:
		return
	customer = frappe.db.get_value("Student", doc.student, "customer")
	if customer != doc.customer:
		frappe.throw(
			_("Student {0} is billed to customer {1}, not {2}.").format(doc.student, customer, doc.customer),
			error,
		)


def get_mode_of_payment_account(mode_of_payment: str, company: str) -> str:
	"""The default cash/bank account of a Mode of Payment for the company."""
	account = frappe.db.get_value(
		"Mode of Payment Account", {"parent": mode_of_payment, "company": company}, "default_account"
	)
	if not account:
		frappe.throw(
			_("Set the default cash or bank account of Mode of Payment {0} for company {1}.").format(
				frappe.bold(mode_of_payment), frappe.bold(company)
			),
			PaymentAllocationError,
			title=_("Missing Account"),
		)
	return account


# ---------------------------------------------------------------- open invoices


def get_open_invoices(
	company: str,
	customer: str,
	student: str | None = None,
	*,
	names: list[str] | None = None,
	posted_by=None,
	for_update: bool = False,
) -> list[OpenItem]:
	"""The customer's submitted Fee Invoices with their outstanding read from the Payment Ledger.

	With `names`: exactly those invoices, paid or not (callers check rows against them). Without:
	the invoices the stored outstanding says are open (a pre-filter only: the amounts are the
	ledger's), optionally one student's and only those posted by the date `posted_by`."""
	filters = {"company": company, "customer": customer, "docstatus": 1}
	if names is not None:
		if not names:
			return []
		filters["name"] = ("in", names)
	else:
		filters["outstanding_amount"] = (">", 0)
	if student:
		filters["student"] = student
	if posted_by:
		filters["posting_date"] = ("<=", posted_by)
	rows = frappe.get_all("Fee Invoice", filters=filters, fields=["name", "due_date", "posting_date"])
	balances = ledger.receivable_balances("Fee Invoice", [row.name for row in rows], for_update=for_update)
	return [
		OpenItem(
			key=row.name,
			outstanding=balances[row.name],
			due_date=getdate(row.due_date or row.posting_date),
			posting_date=getdate(row.posting_date),
		)
		for row in rows
	]


# ---------------------------------------------------------------- credit sources


def source_label(source_doctype: str, source_name: str) -> str:
	return f"{_(source_doctype)} {source_name}"


def available_credit(
	company: str, customer: str, source_doctype: str, source_name: str, *, for_update: bool = False
) -> Decimal:
	"""What a credit or deposit source can still give, from the ledger.

	Deposit: its balance on the deposit liability account. Credit Note, receipt, Payment Entry,
	Journal Entry: the customer's open credit against it on the fee receivable. A Payment Entry is
	further limited to its unallocated amount less what the app applied (an advance earmarked for a
	Sales Order is not free credit)."""
	if source_doctype == "Deposit":
		return ledger.liability_balance(
			deposit_account_of(source_name), "Deposit", source_name, for_update=for_update
		)
	settings = get_company_settings(company)
	open_credit = max(
		-ledger.receivable_balance(
			source_doctype,
			source_name,
			customer,
			account=settings.receivable_account,
			for_update=for_update,
		),
		ZERO,
	)
	if source_doctype == "Payment Entry":
		unallocated = to_decimal(
			frappe.db.get_value("Payment Entry", source_name, "unallocated_amount", for_update=for_update)
		)
		applied = ledger.applied_from(
			"Payment Entry",
			source_name,
			"Payment Allocation",
			account=settings.receivable_account,
			for_update=for_update,
		)
		open_credit = min(open_credit, max(quantize(unallocated - applied), ZERO))
	return open_credit


def validate_source_document(doc) -> None:
	"""Check that `doc.source_doctype/source_name` is a submitted credit (or deposit) of the same
	company and customer that this allocation type may use."""
	allowed = SOURCES_BY_TYPE[doc.allocation_type]
	if not doc.source_doctype or not doc.source_name:
		frappe.throw(
			_("{0} needs a source: one of {1}.").format(_(doc.allocation_type), ", ".join(map(_, allowed))),
			CreditSourceError,
		)
	if doc.source_doctype not in allowed:
		frappe.throw(
			_("{0} cannot use a {1} as its source; use one of {2}.").format(
				_(doc.allocation_type), _(doc.source_doctype), ", ".join(map(_, allowed))
			),
			CreditSourceError,
		)
	label = source_label(doc.source_doctype, doc.source_name)
	source = frappe.db.get_value(doc.source_doctype, doc.source_name, "*", as_dict=True)
	if not source:
		frappe.throw(_("{0} does not exist.").format(label), CreditSourceError)
	if source.docstatus != 1:
		frappe.throw(_("{0} is not submitted.").format(label), CreditSourceError)
	if source.company != doc.company:
		frappe.throw(
			_("{0} belongs to company {1}, not {2}.").format(label, source.company, doc.company),
			CreditSourceError,
		)
	party = source_party(doc.source_doctype, source, doc)
	if party != doc.customer:
		frappe.throw(
			_("{0} is a credit of customer {1}, not of {2}.").format(label, party or "-", doc.customer),
			CreditSourceError,
		)
	if doc.source_doctype == "Payment Allocation":
		if source.name == doc.name or source.allocation_type not in TYPES_OPENING_CREDIT:
			frappe.throw(
				_("{0} holds no open credit: only a receipt or a deposit moved to credit does.").format(
					label
				),
				CreditSourceError,
			)
	if doc.source_doctype == "Payment Entry":
		if source.payment_type != "Receive" or source.paid_from != doc.receivable_account:
			frappe.throw(
				_("{0} is not a receipt on the fee receivable account {1}.").format(
					label, doc.receivable_account
				),
				CreditSourceError,
			)


def source_party(source_doctype: str, source: dict, doc) -> str | None:
	if source_doctype in ("Credit Note", "Payment Allocation", "Deposit"):
		return source.customer
	if source_doctype == "Payment Entry":
		return source.party if source.party_type == "Customer" else None
	# Journal Entry: the customer credited on the fee receivable without a reference
	jea = frappe.qb.DocType("Journal Entry Account")
	found = (
		frappe.qb.from_(jea)
		.select(jea.party)
		.where(
			(jea.parent == source.name)
			& (jea.parenttype == "Journal Entry")
			& (jea.account == doc.receivable_account)
			& (jea.party_type == "Customer")
			& (jea.party == doc.customer)
			& (jea.credit_in_account_currency > jea.debit_in_account_currency)
			& ((jea.reference_type.isnull()) | (jea.reference_type == ""))
		)
		.limit(1)
	).run()
	return found[0][0] if found else None


def open_credit_sources(company: str, customer: str) -> list[CreditSource]:
	"""Every open credit of the customer on the fee receivable (oldest first when planned)."""
	settings = get_company_settings(company)
	sources = []
	for row in ledger.open_credits(company, customer, settings.receivable_account, CREDIT_SOURCES):
		available = row.credit
		if row.voucher_type == "Payment Entry":
			available = available_credit(company, customer, row.voucher_type, row.voucher_no)
		if available > 0:
			sources.append(
				CreditSource(
					key=source_key(row.voucher_type, row.voucher_no),
					available=available,
					posting_date=getdate(row.posting_date),
				)
			)
	return sources


def source_key(doctype: str, name: str) -> str:
	return f"{doctype}::{name}"


def split_source_key(key: str) -> tuple[str, str]:
	doctype, name = key.split("::", 1)
	return doctype, name


# ---------------------------------------------------------------- GL rows


def build_gl_rows(doc) -> list[frappe._dict]:
	"""The GL rows of a Payment Allocation (DESIGN.md, "Money and the ledger")."""
	receivable, customer, cost_center = doc.receivable_account, doc.customer, doc.cost_center
	paid = to_decimal(doc.paid_amount)
	rows = []

	def receivable_row(debit=ZERO, credit=ZERO, against_type=None, against=None, detail=None):
		return ledger.gl_row(
			doc,
			receivable,
			debit,
			credit,
			party=customer,
			against_voucher_type=against_type,
			against_voucher=against,
			cost_center=cost_center,
			voucher_detail_no=detail,
		)

	def invoice_rows():
		return [
			receivable_row(
				credit=row.allocated_amount,
				against_type="Fee Invoice",
				against=row.fee_invoice,
				detail=row.name,
			)
			for row in doc.allocations
		]

	def source_debit(amount):
		if doc.source_doctype == "Deposit":
			return ledger.gl_row(
				doc,
				deposit_account_of(doc.source_name),
				amount,
				ZERO,
				party=customer,
				against_voucher_type="Deposit",
				against_voucher=doc.source_name,
				cost_center=cost_center,
			)
		return receivable_row(debit=amount, against_type=doc.source_doctype, against=doc.source_name)

	if doc.allocation_type == RECEIPT:
		rows.append(ledger.gl_row(doc, doc.paid_to, paid, ZERO, cost_center=cost_center))
		rows.extend(invoice_rows())
		rows.append(receivable_row(credit=doc.unallocated_amount, against_type=doc.doctype, against=doc.name))
	elif doc.allocation_type in (APPLY_CREDIT, APPLY_DEPOSIT):
		rows.append(source_debit(doc.total_allocated))
		rows.extend(invoice_rows())
	elif doc.allocation_type == REFUND:
		rows.append(source_debit(paid))
		rows.append(ledger.gl_row(doc, doc.paid_to, ZERO, paid, cost_center=cost_center))
	elif doc.allocation_type == DEPOSIT_TO_CREDIT:
		rows.append(source_debit(paid))
		rows.append(receivable_row(credit=paid, against_type=doc.doctype, against=doc.name))
	return rows


# ---------------------------------------------------------------- write-back


def deposit_account_of(deposit: str) -> str:
	"""The liability account a Deposit was posted to (it stays there even if settings change)."""
	return frappe.db.get_value("Deposit", deposit, "deposit_account")


def refresh_deposit(name: str) -> Decimal:
	"""Write back a Deposit's held amount from its balance on the deposit liability account."""
	deposit = frappe.db.get_value("Deposit", name, ["deposit_account", "docstatus"], as_dict=True)
	if not deposit:
		return ZERO
	held = ZERO
	if deposit.docstatus == 1:
		held = ledger.liability_balance(deposit.deposit_account, "Deposit", name, for_update=True)
	frappe.db.set_value("Deposit", name, "remaining_amount", flt(held), update_modified=False)
	return held


def refresh_source(source_doctype: str | None, source_name: str | None) -> None:
	"""Write back a deposit's held amount after a movement. A Credit Note's or receipt's remaining
	credit is written by the Payment Ledger Entry hook (ledger.on_payment_ledger_entry_change) as
	the row against it is posted or reversed, so it is not recomputed here."""
	if source_doctype == "Deposit" and source_name:
		refresh_deposit(source_name)


def used_by(source_doctype: str, source_name: str) -> list[str]:
	"""Submitted Payment Allocations that draw on a credit or deposit source."""
	return frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": source_doctype, "source_name": source_name, "docstatus": 1},
		pluck="name",
		order_by="name",
	)


def check_not_used(doc) -> None:
	"""Refuse to cancel a credit or deposit that later allocations draw on, naming them."""
	users = used_by(doc.doctype, doc.name)
	if users:
		frappe.throw(
			_("{0} {1} was used by {2}. Cancel those allocations first.").format(
				_(doc.doctype), doc.name, ", ".join(users)
			),
			CreditSourceError,
			title=_("Credit In Use"),
		)


# ---------------------------------------------------------------- automatic use of open credit


def auto_apply_credit(doc, method=None) -> list[str]:
	"""Fee Invoice on_submit: when School Fees Settings.auto_apply_credit is on, pay the new invoice
	from the customer's open credit, oldest credit first, with one Apply Credit allocation per
	source, until the invoice is paid or the credit runs out. Returns the allocations made."""
	if not frappe.db.get_single_value("School Fees Settings", "auto_apply_credit"):
		return []
	outstanding = ledger.receivable_balance("Fee Invoice", doc.name)
	if outstanding <= 0:
		return []
	sources = {source.key: source for source in open_credit_sources(doc.company, doc.customer)}
	made = []
	for part in plan_credit_application(outstanding, list(sources.values())):
		source_doctype, source_name = split_source_key(part.key)
		allocation = frappe.get_doc(
			{
				"doctype": "Payment Allocation",
				"allocation_type": APPLY_CREDIT,
				"company": doc.company,
				"customer": doc.customer,
				"student": doc.student,
				"posting_date": max(getdate(doc.posting_date), sources[part.key].posting_date),
				"source_doctype": source_doctype,
				"source_name": source_name,
				"remarks": _("Open credit applied automatically to {0}").format(doc.name),
				"allocations": [{"fee_invoice": doc.name, "allocated_amount": flt(part.amount)}],
			}
		)
		allocation.flags.ignore_permissions = True
		# Issuing the invoice must not fail because one credit could not be applied (a closed
		# accounting period, a source cancelled meanwhile): that credit stays open, and is reported.
		frappe.db.savepoint("auto_apply_credit")
		try:
			allocation.insert()
			allocation.submit()
		except frappe.ValidationError:
			frappe.db.rollback(save_point="auto_apply_credit")
			frappe.clear_last_message()
			frappe.log_error(
				title=_("Open credit not applied to {0}").format(doc.name),
				reference_doctype=doc.doctype,
				reference_name=doc.name,
			)
			frappe.msgprint(
				_("Open credit from {0} could not be applied to {1}; see the Error Log.").format(
					source_label(source_doctype, source_name), doc.name
				),
				alert=True,
			)
			continue
		made.append(allocation.name)
	return made


def apply_open_credit_to_issued(invoices: list) -> None:
	"""The bulk billing path issues invoices without their on_submit hook: with auto_apply_credit
	on, apply open credit to the new invoices of the customers who hold any, oldest due first
	(one query finds them; nothing is read when the setting is off)."""
	if not invoices or not frappe.db.get_single_value("School Fees Settings", "auto_apply_credit"):
		return
	company = invoices[0].company
	holders = ledger.parties_with_open_credit(
		company,
		get_company_settings(company).receivable_account,
		{doc.customer for doc in invoices},
		CREDIT_SOURCES,
	)
	in_order = sorted(
		(doc for doc in invoices if doc.customer in holders),
		key=lambda doc: (getdate(doc.due_date), getdate(doc.posting_date), doc.name),
	)
	for doc in in_order:
		auto_apply_credit(doc)


# ---------------------------------------------------------------- credit notes in bulk


@frappe.whitelist(methods=["POST"])
def make_credit_notes(
	students: list | str,
	amount: float | str,
	posting_date: str,
	reason_type: str,
	reason: str | None = None,
	approved_by: str | None = None,
	notify_guardian: int | str = 0,
) -> dict:
	"""Create and submit one Credit Note of `amount` per student (Student list / Credit Note list
	action). Each student is done on its own savepoint: a student that fails is reported with its
	error and the others are still credited. Returns {"created": [names], "failed": [{student, error}]}."""
	frappe.has_permission("Credit Note", "create", throw=True)
	frappe.has_permission("Credit Note", "submit", throw=True)
	if isinstance(students, str):
		students = json.loads(students)
	amount = to_decimal(str(amount))
	if amount <= 0:
		frappe.throw(_("The credit amount must be above zero."), PaymentAllocationError)

	created, failed = [], []
	for student in dict.fromkeys(students):
		frappe.db.savepoint("make_credit_note")
		try:
			note = frappe.get_doc(
				{
					"doctype": "Credit Note",
					"student": student,
					"company": frappe.db.get_value("Student", student, "company"),
					"amount": flt(amount),
					"posting_date": posting_date,
					"reason_type": reason_type,
					"reason": reason,
					"approved_by": approved_by,
					"notify_guardian": int(notify_guardian or 0),
				}
			)
			note.insert()
			note.submit()
			created.append(note.name)
		except frappe.ValidationError as error:
			frappe.db.rollback(save_point="make_credit_note")
			failed.append({"student": student, "error": str(error) or error.__class__.__name__})
			frappe.clear_messages()
	return {"created": created, "failed": failed}


# ---------------------------------------------------------------- deposit history


def deposit_history(name: str) -> list[frappe._dict]:
	"""Issued / used / transferred / refunded movements of a Deposit, oldest first."""
	deposit = frappe.db.get_value(
		"Deposit", name, ["name", "posting_date", "amount", "docstatus"], as_dict=True
	)
	if not deposit or deposit.docstatus != 1:
		return []
	kinds = {
		APPLY_DEPOSIT: _("Used"),
		DEPOSIT_TO_CREDIT: _("Transferred to credit"),
		REFUND: _("Refunded"),
	}
	history = [frappe._dict(date=deposit.posting_date, kind=_("Issued"), amount=deposit.amount, voucher=None)]
	for row in frappe.get_all(
		"Payment Allocation",
		filters={"source_doctype": "Deposit", "source_name": name, "docstatus": 1},
		fields=["name", "posting_date", "allocation_type", "paid_amount", "total_allocated"],
		order_by="posting_date, name",
	):
		amount = row.total_allocated if row.allocation_type == APPLY_DEPOSIT else row.paid_amount
		history.append(
			frappe._dict(
				date=row.posting_date, kind=kinds.get(row.allocation_type), amount=amount, voucher=row.name
			)
		)
	return history


# ---------------------------------------------------------------- guards on ERPNext's advance tools


def guard_payment_entry_advance(doc, method=None) -> None:
	"""Payment Entry before_update_after_submit: ERPNext's reconciliation (Payment Reconciliation
	tool, Sales Invoice advances) re-saves the Payment Entry with new references and a smaller
	unallocated amount. Refuse when what stays unallocated is less than what School Fees already
	applied from this advance (the same money would be used twice)."""
	if doc.payment_type != "Receive" or doc.party_type != "Customer":
		return
	applied = ledger.applied_from(
		"Payment Entry", doc.name, "Payment Allocation", account=doc.paid_from, party=doc.party
	)
	if applied <= 0:
		return
	left = to_decimal(doc.unallocated_amount)
	if quantize(left) < applied:
		frappe.throw(
			_(
				"{0} of Payment Entry {1} was already applied to fee invoices by {2}. This allocation "
				"would leave only {3} unallocated; reduce it by {4}."
			).format(
				money(applied, doc.paid_from_account_currency),
				doc.name,
				", ".join(used_by("Payment Entry", doc.name)),
				money(left, doc.paid_from_account_currency),
				money(applied - left, doc.paid_from_account_currency),
			),
			AdvanceAlreadyAppliedError,
			title=_("Advance Already Applied"),
		)


def guard_journal_entry_advance(doc, method=None) -> None:
	"""Journal Entry before_update_after_submit: the same guard for a Journal Entry advance. ERPNext
	reconciles it by splitting the unreferenced credit row; what stays unreferenced for the customer
	must still cover what School Fees applied from it."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	applied_rows = (
		frappe.qb.from_(ple)
		.select(ple.account, ple.party, ple.amount_in_account_currency)
		.where(
			(ple.against_voucher_type == "Journal Entry")
			& (ple.against_voucher_no == doc.name)
			& (ple.voucher_type == "Payment Allocation")
			& (ple.delinked == 0)
		)
	).run(as_dict=True)
	applied: dict[tuple[str, str], Decimal] = {}
	for row in applied_rows:
		key = (row.account, row.party)
		applied[key] = applied.get(key, ZERO) + to_decimal(row.amount_in_account_currency)
	for (account, party), amount in applied.items():
		if amount <= 0:
			continue
		unreferenced = sum(
			(
				to_decimal(row.credit_in_account_currency) - to_decimal(row.debit_in_account_currency)
				for row in doc.accounts
				if row.account == account
				and row.party_type == "Customer"
				and row.party == party
				and row.reference_type in (None, "", "Sales Order")
			),
			ZERO,
		)
		if quantize(unreferenced) < quantize(amount):
			frappe.throw(
				_(
					"{0} of Journal Entry {1} was already applied to fee invoices of {2} by {3}. This "
					"allocation would leave only {4} unallocated; reduce it by {5}."
				).format(
					money(amount),
					doc.name,
					party,
					", ".join(used_by("Journal Entry", doc.name)),
					money(unreferenced),
					money(amount - unreferenced),
				),
				AdvanceAlreadyAppliedError,
				title=_("Advance Already Applied"),
			)


def hide_applied_advances(doc, method=None, *args, **kwargs) -> None:
	"""Payment Reconciliation get_unreconciled_entries / reconcile (after ERPNext's method): ERPNext
	lists Payment Entries by their unallocated amount and Journal Entries by their unreferenced rows,
	neither of which knows about the app's allocations. Drop the advances School Fees used up, and
	show a Journal Entry's rows net of what was applied. A Payment Entry applied only in part keeps
	its amount (ERPNext checks it against the Payment Entry's own unallocated amount when
	reconciling); the Payment Entry guard refuses any allocation beyond what is left."""
	payments = doc.get("payments") or []
	advances = [
		row.reference_name for row in payments if row.reference_type in ("Payment Entry", "Journal Entry")
	]
	if not advances or doc.party_type != "Customer":
		return
	ple = frappe.qb.DocType("Payment Ledger Entry")
	applied = {
		(voucher_type, voucher_no): to_decimal(amount)
		for voucher_type, voucher_no, amount in (
			frappe.qb.from_(ple)
			.select(ple.against_voucher_type, ple.against_voucher_no, Sum(ple.amount_in_account_currency))
			.where(
				(ple.against_voucher_type.isin(["Payment Entry", "Journal Entry"]))
				& (ple.against_voucher_no.isin(list(set(advances))))
				& (ple.voucher_type == "Payment Allocation")
				& (ple.account == doc.receivable_payable_account)
				& (ple.party == doc.party)
				& (ple.delinked == 0)
			)
			.groupby(ple.against_voucher_type, ple.against_voucher_no)
		).run()
	}
	if not any(amount > 0 for amount in applied.values()):
		return
	kept = []
	for row in payments:
		used = applied.get((row.reference_type, row.reference_name), ZERO)
		if used <= 0:
			kept.append(row)
			continue
		amount = to_decimal(row.amount)
		if row.reference_type == "Payment Entry":
			if row.get("reference_row") or amount - used > 0:
				kept.append(row)
			continue
		taken = min(amount, used)
		applied[(row.reference_type, row.reference_name)] = used - taken
		if amount - taken > 0:
			row.amount = flt(amount - taken)
			kept.append(row)
	for idx, row in enumerate(kept, start=1):
		row.idx = idx
	doc.set("payments", kept)


# ---------------------------------------------------------------- desk helpers


@frappe.whitelist()
def get_available_credit(company: str, customer: str, source_doctype: str, source_name: str) -> float:
	"""Open credit (or held deposit) a source can still give, for the Payment Allocation form."""
	frappe.has_permission(source_doctype, "read", doc=source_name, throw=True)
	return flt(available_credit(company, customer, source_doctype, source_name))


@frappe.whitelist()
def get_open_credit_sources(company: str, customer: str) -> list[dict]:
	"""The customer's open credits and held deposits, oldest first, for the Payment Allocation form."""
	frappe.has_permission("Payment Allocation", "read", throw=True)
	rows = []
	for source in sorted(open_credit_sources(company, customer), key=lambda s: (s.posting_date, s.key)):
		doctype, name = split_source_key(source.key)
		rows.append(
			{
				"source_doctype": doctype,
				"source_name": name,
				"available": flt(source.available),
				"posting_date": source.posting_date,
			}
		)
	for name, posting_date, account in frappe.get_all(
		"Deposit",
		filters={"company": company, "customer": customer, "docstatus": 1, "remaining_amount": (">", 0)},
		fields=["name", "posting_date", "deposit_account"],
		order_by="posting_date, name",
		as_list=True,
	):
		held = ledger.liability_balance(account, "Deposit", name)
		if held > 0:
			rows.append(
				{
					"source_doctype": "Deposit",
					"source_name": name,
					"available": flt(held),
					"posting_date": posting_date,
				}
			)
	return rows
