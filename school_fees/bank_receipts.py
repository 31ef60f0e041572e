"""Fee receipts from bank lines: money a guardian paid into the school's bank account, found on an
ERPNext Bank Transaction, turned into a receipt against the student's invoices and reconciled with
that line in one action (seed 004: "incoming bank payments reconciled to specific invoices in one
click").

`preview(bank_transactions)` proposes, for each selected line, the student it pays for, the amount
and the invoices it settles; `create_receipts(bank_transactions)` makes those receipts and
reconciles each with its line. Both are whitelisted and answer per line, never all-or-nothing.

Which lines: submitted Bank Transactions still open (status Pending or Unreconciled, an unallocated
amount above zero) that are deposits into a company Bank Account linked to a ledger account, in the
school's currency. The receipt is for the line's unallocated amount.

Which student: the line's description and reference number are read for admission numbers and fee
invoice numbers (FINV-YYYY-NNNNN). Every word of at least `MIN_CANDIDATE_LENGTH` characters (edges
trimmed of separators) is an admission-number candidate; when a whole word is not an admission
number, its pieces between separators (- / # _ .) are tried, so "UPI/ADM-0042/FEES" finds ADM-0042.
An invoice number names its student. Exactly one student of the bank account's school must come out
of it: none (no match), two or more (several students: a guardian paying for siblings in one
transfer splits it by hand), or students of other schools only (other school) leave the line
unmatched with that reason.

How it is allocated: the rule every receipt follows (core.allocation.allocate over the student's open
invoices posted by the line's date, payments.allocation.InvoiceBook: oldest due date first); a
remainder stays as the student's credit. The preview plans the selected lines in order (date, name)
as they would be created, so two lines of one student do not both propose the same invoice.

The receipt: a Payment Allocation of type Receipt, paid to the bank account's ledger account
(Bank Account.account), posting date = the line's date, reference_no = the line's reference number
(or the line's name when the bank gave none), its mode of payment the one whose account for the
school is that ledger account (if any). It is created and submitted, then reconciled with its line by
ERPNext's own function (integrations.bank_receipts): the line ends Reconciled with the receipt in its
payment_entries and the receipt gets its clearance date.

Each line is one unit (payments.bulk.one_document): its receipt and reconciliation are kept whole or
rolled back whole, and committed before the next line, so the run holds the receipt series (and the
line and the ledger rows) for one line at a time. Run in one transaction, fifty lines held the RCPT
series for the whole request, and a cashier recording one receipt at the counter waited for all of
it and then failed with a lock wait timeout. A line that fails is rolled back alone and reported with
its message; the answer lists what was created, skipped and failed.

No line is turned into two receipts: the line's row is locked (SELECT ... FOR UPDATE) before it is
looked at, so a second run, also by another user at the same time, waits and then finds it
Reconciled. A line is also skipped when a submitted receipt on that bank ledger account already
carries its reference (or its name), or is already among its payment entries, and when an uncleared
receipt of the same student for the same amount already sits on that bank ledger account (money
receipted at the counter and then seen on the statement: match it in the Bank Reconciliation Tool
instead of receipting it twice).

Permissions, checked on the server: read on Bank Transaction, create and submit on Payment Allocation,
access to the school of every selected line (permissions.check_school_access) and read on each
line; creating also needs write on Bank Transaction, because ERPNext's reconcile saves the line as
the user.
"""

import re
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, strip_html

from school_fees.core.allocation import Allocation, OpenItem, allocate
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.payment_types import RECEIPT
from school_fees.integrations.bank_receipts import reconcile_bank_line
from school_fees.payments.allocation import InvoiceBook
from school_fees.payments.bulk import one_document, refusal_text
from school_fees.permissions import check_school_access

BANK_TRANSACTION = "Bank Transaction"
PAYMENT_ALLOCATION = "Payment Allocation"
OPEN_STATUSES = ("Pending", "Unreconciled")
RECONCILED = "Reconciled"

# Why a line is not turned into a receipt (the `reason` of an unmatched line)
REASON_NOT_SUBMITTED = "not_submitted"
REASON_RECONCILED = "reconciled"
REASON_AMOUNT = "amount"
REASON_BANK_ACCOUNT = "bank_account"
REASON_CURRENCY = "currency"
REASON_RECEIPTED = "receipted"
REASON_UNCLEARED_RECEIPT = "uncleared_receipt"
REASON_NO_MATCH = "no_match"
REASON_SEVERAL_STUDENTS = "several_students"
REASON_OTHER_SCHOOL = "other_school"

LINE_FIELDS = (
	"name",
	"docstatus",
	"status",
	"date",
	"deposit",
	"withdrawal",
	"unallocated_amount",
	"currency",
	"bank_account",
	"description",
	"reference_number",
)
STUDENT_FIELDS = ("name", "student_name", "admission_no", "company", "customer")
INVOICE_NUMBER = re.compile(r"(?<![A-Za-z0-9])FINV-\d{4}-\d+", re.IGNORECASE)
WORD = re.compile(r"[^\s,;:()\[\]{}<>\"'|]+")
PIECE_SEPARATOR = re.compile(r"([-/\\#_.]+)")
MAX_PIECES = 12
WORD_EDGES = "-/\\#_.*+=~"
MIN_CANDIDATE_LENGTH = 3
REFERENCE_LENGTH = 140  # Payment Allocation.reference_no is a Data field

SAVEPOINT = "bank_receipt"


class BankReceiptsNotPermittedError(frappe.PermissionError):
	"""The user may not turn bank lines into receipts."""


class BankReceiptsSelectionError(frappe.ValidationError):
	"""No bank line, or one that does not exist, was selected."""


class BankLineNotReconciledError(frappe.ValidationError):
	"""ERPNext's reconcile left the bank line open after its receipt was matched to it."""


# ---------------------------------------------------------------- whitelisted


@frappe.whitelist()
def preview(bank_transactions: list[str] | str) -> dict:
	"""What `create_receipts` would do with the selected bank lines, creating nothing.

	Returns ``{"matched": [line with student, amount (of the receipt: the line's unallocated amount),
	allocations, credit], "unmatched": [line with amount (the line's: deposit - withdrawal), reason and
	message], "total": amount of the matched lines}``."""
	lines = checked_lines(selection(bank_transactions), creating=False)
	banks = BankAccounts()
	plan = Plan()
	matched, unmatched = [], []
	for line in lines:
		proposal = propose(line, banks.get(line.bank_account), plan)
		(unmatched if proposal.reason else matched).append(proposal.as_dict())
	return {
		"matched": matched,
		"unmatched": unmatched,
		"total": flt(sum((to_decimal(row["amount"]) for row in matched), ZERO)),
	}


@frappe.whitelist(methods=["POST"])
def create_receipts(bank_transactions: list[str] | str) -> dict:
	"""Create and submit a receipt for every matched line and reconcile it with the line, each line
	whole or not at all and committed on its own (see the module docstring).

	Returns ``{"created": [line with student, amount, allocations and "receipt"], "skipped": [line
	with reason and message], "failed": {line: message}}``."""
	lines = checked_lines(selection(bank_transactions), creating=True)
	banks = BankAccounts()
	created, skipped, failed = [], [], {}
	for line in lines:
		outcome, error = one_document(SAVEPOINT, lambda name=line.name: receipt_from_line(name, banks))
		if error:
			failed[line.name] = refusal_message(error, line.name)
		else:
			(skipped if outcome.get("reason") else created).append(outcome)
	return {"created": created, "skipped": skipped, "failed": failed}


# ---------------------------------------------------------------- selection and permissions


def selection(bank_transactions: list[str] | str) -> list[str]:
	"""The selected names, parsed from the request, without blanks or repeats."""
	names = bank_transactions
	if isinstance(names, str):
		names = frappe.parse_json(names) if names.strip().startswith("[") else names.split(",")
	names = list(dict.fromkeys(str(n).strip() for n in names or [] if n and str(n).strip()))
	if not names:
		frappe.throw(_("Select at least one Bank Transaction."), BankReceiptsSelectionError)
	return names


def checked_lines(names: list[str], creating: bool) -> list[frappe._dict]:
	"""The selected lines in the order they are receipted (date, then name), once the user is
	allowed to see every one of them and to make receipts."""
	required = [
		(BANK_TRANSACTION, "read"),
		(PAYMENT_ALLOCATION, "create"),
		(PAYMENT_ALLOCATION, "submit"),
	]
	if creating:
		required.append((BANK_TRANSACTION, "write"))
	for doctype, ptype in required:
		if not frappe.has_permission(doctype, ptype):
			frappe.throw(
				_("You need the {0} permission on {1} to make fee receipts from bank lines.").format(
					_(ptype), _(doctype)
				),
				BankReceiptsNotPermittedError,
			)
	lines = frappe.get_all(BANK_TRANSACTION, filters={"name": ("in", names)}, fields=LINE_FIELDS)
	missing = sorted(set(names) - {line.name for line in lines})
	if missing:
		frappe.throw(
			_("Bank Transaction {0} does not exist.").format(", ".join(missing)), BankReceiptsSelectionError
		)
	schools = frappe.get_all(
		"Bank Account",
		filters={"name": ("in", sorted({line.bank_account for line in lines if line.bank_account}) or [""])},
		pluck="company",
	)
	for company in sorted({school for school in schools if school}):
		check_school_access(company)
	for line in lines:
		if not frappe.has_permission(BANK_TRANSACTION, "read", doc=line.name):
			frappe.throw(
				_("You have no access to Bank Transaction {0}.").format(line.name),
				BankReceiptsNotPermittedError,
			)
	return sorted(lines, key=lambda line: (str(line.date or ""), line.name))


# ---------------------------------------------------------------- bank accounts


class BankAccounts:
	"""The company Bank Accounts of the selected lines: ledger account, school, school currency and
	the mode of payment paying into that ledger account, read once per request."""

	def __init__(self):
		self.cache: dict[str, frappe._dict | None] = {}

	def get(self, bank_account: str | None) -> frappe._dict | None:
		if not bank_account:
			return None
		if bank_account not in self.cache:
			self.cache[bank_account] = self.read(bank_account)
		return self.cache[bank_account]

	@staticmethod
	def read(bank_account: str) -> frappe._dict | None:
		row = frappe.db.get_value(
			"Bank Account",
			bank_account,
			["name", "account", "company", "is_company_account"],
			as_dict=True,
		)
		if not row or not row.is_company_account or not row.account or not row.company:
			return None
		row.currency = frappe.get_cached_value("Company", row.company, "default_currency")
		row.mode_of_payment = mode_of_payment_into(row.account, row.company)
		return row


def mode_of_payment_into(account: str, company: str) -> str | None:
	"""An enabled Mode of Payment whose account for `company` is `account` (the first by name)."""
	mpa = frappe.qb.DocType("Mode of Payment Account")
	mop = frappe.qb.DocType("Mode of Payment")
	found = (
		frappe.qb.from_(mpa)
		.join(mop)
		.on(mop.name == mpa.parent)
		.select(mpa.parent)
		.where((mpa.parenttype == "Mode of Payment") & (mpa.company == company))
		.where((mpa.default_account == account) & (mop.enabled == 1))
		.orderby(mpa.parent)
		.limit(1)
	).run()
	return found[0][0] if found else None


# ---------------------------------------------------------------- finding the student


def invoice_numbers(text: str) -> list[str]:
	"""Fee invoice numbers (FINV-YYYY-NNNNN) in the text, upper-cased, without repeats."""
	return list(dict.fromkeys(number.upper() for number in INVOICE_NUMBER.findall(text or "")))


def admission_candidates(text: str) -> list[list[tuple[int, int, str]]]:
	"""For each word of the text, the runs of its consecutive pieces that may be an admission number,
	longest first: the whole word, then shorter runs between separators ("UPI/ADM-0042/FEES" gives
	"UPI/ADM-0042/FEES", "UPI/ADM-0042", "ADM-0042/FEES", "UPI/ADM", "ADM-0042", ... "FEES"), each
	as (first piece, last piece, text)."""
	words = []
	for raw in WORD.findall(text or ""):
		word = raw.strip(WORD_EDGES)
		if len(word) < MIN_CANDIDATE_LENGTH:
			continue
		# pieces at even indexes, the separators between them at odd ones
		parts = PIECE_SEPARATOR.split(word)[: 2 * MAX_PIECES - 1]
		count = (len(parts) + 1) // 2
		runs = [
			(first, last, "".join(parts[2 * first : 2 * last + 1]))
			for size in range(count, 0, -1)
			for first in range(count - size + 1)
			for last in [first + size - 1]
		]
		words.append([run for run in runs if len(run[2]) >= MIN_CANDIDATE_LENGTH])
	return words


def students_named_in(text: str) -> list[frappe._dict]:
	"""The students (of any school) whose admission number or fee invoice number the text carries,
	each with `matched_by`: what in the text named them."""
	found: dict[str, frappe._dict] = {}

	def add(student: frappe._dict, how: str) -> None:
		hit = found.setdefault(student.name, frappe._dict(student, matched_by=[]))
		if how not in hit.matched_by:
			hit.matched_by.append(how)

	# the pieces of a fee invoice number are no admission numbers
	words = admission_candidates(INVOICE_NUMBER.sub(" ", text or ""))
	candidates = sorted({run.upper() for runs in words for _first, _last, run in runs})
	by_number: dict[str, list[frappe._dict]] = defaultdict(list)
	if candidates:
		for student in frappe.get_all(
			"Student", filters={"admission_no": ("in", candidates)}, fields=STUDENT_FIELDS
		):
			by_number[student.admission_no.upper()].append(student)
	for runs in words:
		# a run inside a longer run that is an admission number is not another one
		taken: list[tuple[int, int]] = []
		for first, last, run in runs:
			if any(first <= end and start <= last for start, end in taken):
				continue
			for student in by_number.get(run.upper(), []):
				add(student, _("Admission No {0}").format(student.admission_no))
				taken.append((first, last))

	numbers = invoice_numbers(text)
	if numbers:
		invoices = frappe.get_all(
			"Fee Invoice", filters={"name": ("in", numbers)}, fields=["name", "student"], order_by="name"
		)
		students = {
			s.name: s
			for s in frappe.get_all(
				"Student",
				filters={"name": ("in", sorted({i.student for i in invoices}) or [""])},
				fields=STUDENT_FIELDS,
			)
		}
		for invoice in invoices:
			if invoice.student in students:
				add(students[invoice.student], _("Fee Invoice {0}").format(invoice.name))
	return list(found.values())


def describe(student: frappe._dict) -> str:
	return _("{0} ({1}, by {2})").format(student.student_name, student.name, ", ".join(student.matched_by))


# ---------------------------------------------------------------- one line, proposed


class Plan:
	"""What the lines proposed so far in one preview take: amounts per invoice and references
	(creation reads the ledger after each receipt instead)."""

	def __init__(self):
		self.invoices: dict[str, Decimal] = defaultdict(lambda: ZERO)
		self.references: set[tuple[str, str]] = set()


class Proposal:
	"""A bank line and the receipt it would become, or the reason it would not."""

	def __init__(self, line: frappe._dict, bank: frappe._dict | None):
		self.line, self.bank = line, bank
		self.amount = quantize(to_decimal(line.unallocated_amount))
		self.reference = receipt_reference(line)
		self.reason = self.message = None
		self.student = None
		self.book = None
		self.open_items: dict[str, OpenItem] = {}
		self.allocations: list[Allocation] = []
		self.credit = ZERO

	def refuse(self, reason: str, message: str) -> "Proposal":
		self.reason, self.message = reason, message
		return self

	def as_dict(self) -> dict:
		line = self.line
		row = {
			"bank_transaction": line.name,
			"date": str(line.date) if line.date else None,
			"amount": flt(self.amount),
			"currency": line.currency or (self.bank.currency if self.bank else None),
			"description": line.description,
			"reference_number": line.reference_number,
		}
		if self.reason:
			# the line's own amount (money paid out negative): what is left of it may be nothing
			row.update(
				amount=flt(to_decimal(line.deposit) - to_decimal(line.withdrawal)),
				reason=self.reason,
				message=self.message,
			)
			return row
		student = self.student
		row.update(
			company=self.bank.company,
			student=student.name,
			student_name=student.student_name,
			admission_no=student.admission_no,
			customer=student.customer,
			matched_by=", ".join(student.matched_by),
			paid_to=self.bank.account,
			reference_no=self.reference,
			allocations=[self.allocation_row(part) for part in self.allocations],
			allocated_amount=flt(sum((part.amount for part in self.allocations), ZERO)),
			credit=flt(self.credit),
		)
		return row

	def allocation_row(self, part: Allocation) -> dict:
		"""An invoice the receipt settles: its outstanding is what is open once earlier lines of the
		same preview are taken into account."""
		item = self.open_items[part.key]
		return {
			"fee_invoice": part.key,
			"installment": self.book.get(part.key).installment,
			"due_date": str(item.due_date),
			"outstanding_amount": flt(item.outstanding),
			"allocated_amount": flt(part.amount),
		}


def receipt_reference(line: frappe._dict) -> str:
	"""The receipt's reference number: the bank's reference for the line, or the line's name."""
	reference = " ".join((line.reference_number or "").split())[:REFERENCE_LENGTH]
	return reference or line.name


def propose(line: frappe._dict, bank: frappe._dict | None, plan: Plan | None = None) -> Proposal:
	"""The receipt `line` would become (student, amount, invoices oldest due first, credit), or why
	it would not. With `plan`, what earlier lines of the same preview take is taken into account."""
	proposal = Proposal(line, bank)
	label = line.name
	if line.docstatus != 1:
		state = _("cancelled") if line.docstatus == 2 else _("a draft")
		return proposal.refuse(
			REASON_NOT_SUBMITTED,
			_("Bank line {0} is {1}: only submitted lines are receipted.").format(label, state),
		)
	if line.status not in OPEN_STATUSES or proposal.amount <= 0:
		return proposal.refuse(REASON_RECONCILED, _("Bank line {0} is already reconciled.").format(label))
	if flt(line.deposit) <= flt(line.withdrawal):
		return proposal.refuse(
			REASON_AMOUNT, _("Bank line {0} is money paid out, not received.").format(label)
		)
	if not bank:
		return proposal.refuse(
			REASON_BANK_ACCOUNT,
			_("Bank line {0} is not on a company Bank Account linked to a ledger account.").format(label),
		)
	if line.currency and line.currency != bank.currency:
		return proposal.refuse(
			REASON_CURRENCY,
			_("Bank line {0} is in {1}; the fees of {2} are in {3}.").format(
				label, line.currency, bank.company, bank.currency
			),
		)
	receipted = receipts_of_line(line, bank, proposal.reference)
	if receipted:
		return proposal.refuse(
			REASON_RECEIPTED,
			_("Receipt {0} already carries the reference {1} of this bank line.").format(
				", ".join(receipted), proposal.reference
			),
		)
	if plan and (bank.account, proposal.reference) in plan.references:
		return proposal.refuse(
			REASON_RECEIPTED,
			_("Another selected line with the reference {0} is receipted first.").format(proposal.reference),
		)

	students = students_named_in(f"{line.description or ''}\n{line.reference_number or ''}")
	ours = [s for s in students if s.company == bank.company]
	if len(ours) > 1:
		return proposal.refuse(
			REASON_SEVERAL_STUDENTS,
			_("The line names more than one student: {0}.").format("; ".join(map(describe, ours))),
		)
	if not ours and students:
		return proposal.refuse(
			REASON_OTHER_SCHOOL,
			_("{0} belongs to another school than {1}, the school of bank account {2}.").format(
				"; ".join(_("{0} of {1}").format(describe(s), s.company) for s in students),
				bank.company,
				bank.name,
			),
		)
	if not ours:
		return proposal.refuse(
			REASON_NO_MATCH,
			_("No admission number or fee invoice number was found in the description or the reference."),
		)
	student = proposal.student = ours[0]

	uncleared = uncleared_receipts(bank, student.customer, proposal.amount)
	if uncleared:
		return proposal.refuse(
			REASON_UNCLEARED_RECEIPT,
			_(
				"Receipt {0} of {1} for this amount is already on this bank account and not yet cleared: match it to the line in the Bank Reconciliation Tool."
			).format(", ".join(uncleared), student.student_name),
		)

	proposal.book = InvoiceBook(bank.company, student.customer, student=student.name, posted_by=line.date)
	items = proposal.book.open_items()
	if plan:
		items = [replace(item, outstanding=item.outstanding - plan.invoices[item.key]) for item in items]
	proposal.open_items = {item.key: item for item in items}
	proposal.allocations, proposal.credit = allocate(proposal.amount, items)
	if plan:
		for part in proposal.allocations:
			plan.invoices[part.key] += part.amount
		plan.references.add((bank.account, proposal.reference))
	return proposal


def receipts_of_line(line: frappe._dict, bank: frappe._dict, reference: str) -> list[str]:
	"""Submitted receipts on the bank's ledger account carrying the line's reference or name, and
	receipts already among the line's payment entries."""
	carrying = frappe.get_all(
		PAYMENT_ALLOCATION,
		filters={
			"docstatus": 1,
			"allocation_type": RECEIPT,
			"paid_to": bank.account,
			"reference_no": ("in", sorted({reference, line.name})),
		},
		pluck="name",
		order_by="name",
	)
	matched = frappe.get_all(
		"Bank Transaction Payments",
		filters={"parenttype": BANK_TRANSACTION, "parent": line.name, "payment_document": PAYMENT_ALLOCATION},
		pluck="payment_entry",
		order_by="payment_entry",
	)
	return list(dict.fromkeys(carrying + matched))


def uncleared_receipts(bank: frappe._dict, customer: str, amount: Decimal) -> list[str]:
	"""Submitted, not yet cleared receipts of `customer` for `amount` on the bank's ledger account."""
	return frappe.get_all(
		PAYMENT_ALLOCATION,
		filters={
			"docstatus": 1,
			"allocation_type": RECEIPT,
			"paid_to": bank.account,
			"customer": customer,
			"paid_amount": flt(amount),
			"clearance_date": ("is", "not set"),
		},
		pluck="name",
		order_by="name",
	)


# ---------------------------------------------------------------- one line, receipted


def receipt_from_line(name: str, banks: BankAccounts) -> dict:
	"""Lock the line, look at it again as it is now, and receipt and reconcile it, or say why not."""
	line = frappe.db.get_value(BANK_TRANSACTION, name, LINE_FIELDS, as_dict=True, for_update=True)
	if not line:
		frappe.throw(_("Bank Transaction {0} does not exist.").format(name), frappe.DoesNotExistError)
	proposal = propose(line, banks.get(line.bank_account))
	if proposal.reason:
		return proposal.as_dict()
	receipt = make_receipt(proposal)
	after = reconcile_bank_line(line.name, PAYMENT_ALLOCATION, receipt.name, proposal.amount)
	if after.status != RECONCILED:
		frappe.throw(
			_("Bank line {0} is still {1} after receipt {2} was matched to it ({3} unallocated).").format(
				line.name, after.status, receipt.name, after.unallocated_amount
			),
			BankLineNotReconciledError,
		)
	return {**proposal.as_dict(), "receipt": receipt.name}


def make_receipt(proposal: Proposal):
	"""Insert and submit the receipt of a proposal, with the proposal's allocation rows."""
	line, bank, student = proposal.line, proposal.bank, proposal.student
	receipt = frappe.get_doc(
		{
			"doctype": PAYMENT_ALLOCATION,
			"allocation_type": RECEIPT,
			"company": bank.company,
			"customer": student.customer,
			"student": student.name,
			"posting_date": line.date,
			"paid_amount": flt(proposal.amount),
			"mode_of_payment": bank.mode_of_payment,
			"paid_to": bank.account,
			"reference_no": proposal.reference,
			"reference_date": line.date,
			"remarks": _("Received in bank line {0} ({1}): {2}").format(
				line.name, ", ".join(student.matched_by), (line.description or "").strip()
			),
			"allocations": [
				{"fee_invoice": part.key, "allocated_amount": flt(part.amount)}
				for part in proposal.allocations
			],
		}
	)
	receipt.insert()
	receipt.submit()
	return receipt


def refusal_message(error: Exception, name: str) -> str:
	"""Plain text of why a line failed (a permission error may carry its text in
	frappe.flags.error_message only)."""
	flagged = frappe.flags.pop("error_message", None) if isinstance(error, frappe.PermissionError) else None
	message = strip_html(refusal_text(error) or flagged or "").strip()
	return message or _("Bank line {0} could not be receipted.").format(name)
