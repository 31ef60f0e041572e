"""Property test on the real site: random sequences of invoices, receipts, credit notes, deposits,
credit and deposit applications, deposits moved to credit, refunds and cancellations.

A small model predicts, for every step, whether the app must accept or refuse it and what every
invoice, credit and deposit holds afterwards. After every step the site must agree with the model,
and the ledger invariants must hold: every voucher balances; the customer's GL balance on the fee
receivable equals open invoices minus open credit; nothing is negative. Each example runs in its
own transaction and is rolled back.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from factories import (
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_payment_allocation,
	make_student,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from payment_helpers import D, customer_receivable_gl, set_auto_apply_credit

import frappe

from school_fees.ledger import balances
from school_fees.payments.allocation import PaymentAllocationError
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import InvoiceHasAllocationsError

POSTING = date(2027, 4, 1)
OPS = (
	"invoice",
	"receipt",
	"receipt_to_one",
	"credit_note",
	"deposit",
	"apply_credit",
	"apply_deposit",
	"deposit_to_credit",
	"refund",
	"cancel_allocation",
	"cancel_invoice",
)
step = st.tuples(
	st.sampled_from(OPS),
	st.integers(min_value=1, max_value=60000).map(lambda cents: D(Decimal(cents) / 100)),
	st.integers(min_value=0, max_value=20),
)


@dataclass
class Model:
	"""What the books must say: open amounts by document, and what each allocation did."""

	invoices: dict = field(default_factory=dict)  # name -> outstanding
	due: dict = field(default_factory=dict)  # name -> due date
	credits: dict = field(default_factory=dict)  # (doctype, name) -> open credit
	deposits: dict = field(default_factory=dict)  # name -> held
	allocations: dict = field(default_factory=dict)  # name -> list of (kind, key, amount)
	sources: dict = field(default_factory=dict)  # allocation name -> (doctype, name) or None
	vouchers: list = field(default_factory=list)  # (doctype, name) posted

	def open_invoices(self):
		return sorted((n for n, o in self.invoices.items() if o > 0), key=lambda n: (self.due[n], n))

	def fill(self, amount):
		"""Oldest due first, as the app fills an empty allocation table."""
		rows, left = [], amount
		for name in self.open_invoices():
			if left <= 0:
				break
			given = min(left, self.invoices[name])
			rows.append((name, given))
			left -= given
		return rows, left

	def apply(self, allocation, effects, source=None):
		for kind, key, amount in effects:
			getattr(self, kind)[key] += amount
		self.allocations[allocation] = effects
		self.sources[allocation] = source
		self.vouchers.append(("Payment Allocation", allocation))

	def in_use(self, key):
		return any(src == key for name, src in self.sources.items() if name in self.allocations)


def pick(items, index):
	items = list(items)
	return items[index % len(items)] if items else None


class Scenario:
	def __init__(self, company, student, head):
		self.company = company
		self.student = student
		self.customer = student.customer
		self.head = head
		self.model = Model()
		self.count = 0

	def allocation(self, allocation_type, **kwargs):
		return make_payment_allocation(
			self.company, self.customer, allocation_type, posting_date=str(POSTING), **kwargs
		)

	# ------------------------------------------------------------ steps: (expected ok, action)

	def invoice(self, amount, _index):
		self.count += 1
		doc = make_fee_invoice(
			self.company,
			self.student.name,
			items=[(self.head, amount)],
			posting_date=str(POSTING),
			due_date=str(POSTING + timedelta(days=self.count)),
			submit=True,
		)
		self.model.invoices[doc.name] = amount
		self.model.due[doc.name] = POSTING + timedelta(days=self.count)
		self.model.vouchers.append(("Fee Invoice", doc.name))

	def receipt(self, amount, _index):
		rows, left = self.model.fill(amount)
		doc = self.allocation("Receipt", paid_amount=amount)
		assert [(r.fee_invoice, D(r.allocated_amount)) for r in doc.allocations] == rows
		effects = [("invoices", name, -given) for name, given in rows]
		if left > 0:
			self.model.credits[("Payment Allocation", doc.name)] = ZERO_D
			effects.append(("credits", ("Payment Allocation", doc.name), left))
		self.model.apply(doc.name, effects)

	def receipt_to_one(self, amount, index):
		"""A hand-edited row: allowed only up to the invoice's outstanding."""
		target = pick(self.model.invoices, index)
		if target is None:
			return
		paid = amount
		wanted = min(amount, D(self.model.invoices[target] + D("0.01") * (index % 3)))
		if wanted <= 0:
			return
		valid = wanted <= self.model.invoices[target]
		if not expect(
			valid, lambda: self.allocation("Receipt", paid_amount=paid, allocations=[(target, wanted)])
		):
			return
		doc = self.last_allocation()
		effects = [("invoices", target, -wanted)]
		if paid - wanted > 0:
			self.model.credits[("Payment Allocation", doc)] = ZERO_D
			effects.append(("credits", ("Payment Allocation", doc), paid - wanted))
		self.model.apply(doc, effects)

	def credit_note(self, amount, _index):
		doc = make_credit_note(self.company, self.student.name, amount=amount, posting_date=str(POSTING))
		self.model.credits[("Credit Note", doc.name)] = amount
		self.model.vouchers.append(("Credit Note", doc.name))

	def deposit(self, amount, _index):
		doc = make_deposit(self.company, self.student.name, amount=amount, posting_date=str(POSTING))
		self.model.deposits[doc.name] = amount
		self.model.vouchers.append(("Deposit", doc.name))

	def apply_credit(self, _amount, index):
		key = pick([k for k, v in self.model.credits.items() if v > 0], index)
		if key is None:
			return
		rows, _left = self.model.fill(self.model.credits[key])
		if not expect(
			bool(rows), lambda: self.allocation("Apply Credit", source_doctype=key[0], source_name=key[1])
		):
			return
		total = sum((given for _n, given in rows), ZERO_D)
		effects = [("invoices", name, -given) for name, given in rows] + [("credits", key, -total)]
		self.model.apply(self.last_allocation(), effects, source=key)

	def apply_deposit(self, _amount, index):
		name = pick([k for k, v in self.model.deposits.items() if v > 0], index)
		if name is None:
			return
		rows, _left = self.model.fill(self.model.deposits[name])
		if not expect(
			bool(rows), lambda: self.allocation("Apply Deposit", source_doctype="Deposit", source_name=name)
		):
			return
		total = sum((given for _n, given in rows), ZERO_D)
		effects = [("invoices", inv, -given) for inv, given in rows] + [("deposits", name, -total)]
		self.model.apply(self.last_allocation(), effects, source=("Deposit", name))

	def deposit_to_credit(self, amount, index):
		name = pick(self.model.deposits, index)
		if name is None:
			return
		valid = amount <= self.model.deposits[name]
		action = lambda: self.allocation(  # noqa: E731
			"Deposit to Credit", paid_amount=amount, source_doctype="Deposit", source_name=name
		)
		if not expect(valid, action):
			return
		doc = self.last_allocation()
		self.model.credits[("Payment Allocation", doc)] = ZERO_D
		effects = [("deposits", name, -amount), ("credits", ("Payment Allocation", doc), amount)]
		self.model.apply(doc, effects, source=("Deposit", name))

	def refund(self, amount, index):
		sources = [("credits", key) for key in self.model.credits] + [
			("deposits", ("Deposit", name)) for name in self.model.deposits
		]
		chosen = pick(sources, index)
		if chosen is None:
			return
		kind, key = chosen
		held = self.model.credits[key] if kind == "credits" else self.model.deposits[key[1]]
		valid = amount <= held
		action = lambda: self.allocation(  # noqa: E731
			"Refund", paid_amount=amount, source_doctype=key[0], source_name=key[1]
		)
		if not expect(valid, action):
			return
		model_key = key if kind == "credits" else key[1]
		self.model.apply(self.last_allocation(), [(kind, model_key, -amount)], source=key)

	def cancel_allocation(self, _amount, index):
		name = pick(sorted(self.model.allocations), index)
		if name is None:
			return
		refused = self.model.in_use(("Payment Allocation", name))
		if not expect(not refused, lambda: frappe.get_doc("Payment Allocation", name).cancel()):
			return
		for kind, key, amount in self.model.allocations.pop(name):
			getattr(self.model, kind)[key] -= amount
		self.model.sources.pop(name)
		self.model.credits.pop(("Payment Allocation", name), None)  # a cancelled receipt is no source

	def cancel_invoice(self, _amount, index):
		name = pick(self.model.invoices, index)
		if name is None:
			return
		touched = any(
			kind == "invoices" and key == name
			for effects in self.model.allocations.values()
			for kind, key, _a in effects
		)

		def action():
			doc = frappe.get_doc("Fee Invoice", name)
			doc.cancellation_reason = "Raised by mistake in the property test"
			doc.cancel()

		if not expect(not touched, action, InvoiceHasAllocationsError):
			return
		del self.model.invoices[name]

	def last_allocation(self):
		return frappe.get_all(
			"Payment Allocation",
			filters={"customer": self.customer},
			order_by="creation desc",
			limit=1,
			pluck="name",
		)[0]

	# ------------------------------------------------------------ the checks after every step

	def check(self):
		model = self.model
		receivable = {}
		for name, outstanding in model.invoices.items():
			assert outstanding >= 0, name
			stored = frappe.db.get_value("Fee Invoice", name, ["outstanding_amount", "status"], as_dict=True)
			assert D(stored.outstanding_amount) == outstanding, (name, stored, outstanding)
			assert balances.receivable_balance("Fee Invoice", name) == outstanding, name
			assert (stored.status == "Paid") == (outstanding == 0), (name, stored.status)
			receivable[name] = outstanding
		for (doctype, name), available in model.credits.items():
			assert available >= 0, name
			assert D(frappe.db.get_value(doctype, name, "remaining_amount")) == available, (name, available)
			assert max(-balances.receivable_balance(doctype, name), D(0)) == available, name
		for name, held in model.deposits.items():
			assert held >= 0, name
			assert D(frappe.db.get_value("Deposit", name, "remaining_amount")) == held, (name, held)
		for doctype, name in model.vouchers:
			if frappe.db.get_value(doctype, name, "docstatus") == 1:
				rows = frappe.get_all(
					"GL Entry",
					filters={"voucher_type": doctype, "voucher_no": name, "is_cancelled": 0},
					fields=["debit", "credit"],
				)
				assert sum(D(r.debit) for r in rows) == sum(D(r.credit) for r in rows), (doctype, name)
		open_credit = sum(model.credits.values(), ZERO_D)
		assert (
			customer_receivable_gl(self.company, self.customer)
			== sum(receivable.values(), ZERO_D) - open_credit
		)
		stored_open = frappe.get_all(
			"Fee Invoice", filters={"customer": self.customer, "docstatus": 1}, pluck="outstanding_amount"
		)
		stored_credit = sum(
			D(value)
			for doctype in ("Credit Note", "Payment Allocation")
			for value in frappe.get_all(
				doctype, filters={"customer": self.customer, "docstatus": 1}, pluck="remaining_amount"
			)
		)
		assert customer_receivable_gl(self.company, self.customer) == sum(map(D, stored_open)) - stored_credit


ZERO_D = D(0)


def expect(valid: bool, action, refusal=PaymentAllocationError) -> bool:
	"""Run `action`; it must succeed when `valid`, and be refused with `refusal` otherwise (the
	refused step is rolled back to the savepoint taken before it)."""
	frappe.db.savepoint("property_step")
	if valid:
		action()
		return True
	try:
		action()
	except refusal:
		frappe.db.rollback(save_point="property_step")
		frappe.clear_messages()
		event("a step was refused")
		return False
	raise AssertionError("the app accepted a step the model says must be refused")


@pytest.fixture
def family(company):
	"""One student and fee head for all examples (each example rolls back to the savepoint after
	them, so every example starts with a customer who has no documents)."""
	set_auto_apply_credit(False)
	return make_student(company), make_fee_head(company=company).name


@settings(
	max_examples=20,
	deadline=None,
	suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=3, max_size=12))
def test_random_money_movements_keep_the_books_consistent(company, family, steps):
	student, head = family
	frappe.db.savepoint("property_example")
	try:
		scenario = Scenario(company, student, head)
		for op, amount, index in steps:
			getattr(scenario, op)(amount, index)
			scenario.check()
		event(f"{len(scenario.model.allocations)} live allocations at the end")
	finally:
		frappe.db.rollback(save_point="property_example")
