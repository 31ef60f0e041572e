"""The plumbing every fee voucher shares: Fee Invoice, Payment Allocation, Credit Note, Deposit.

On submit a voucher posts its GL rows (its own `get_gl_entries`) through ledger.posting, writes
back its ledger-derived amounts, and is audited; on cancel the same in reverse: the ledger's own
back-links are ignored, every row is reversed, amounts are written back, a cash voucher is taken off
the Bank Transactions it was matched to, and the cancellation is audited. A deleted draft keeps its
number used. Controllers keep only
their own rules: validation, their rows, what they refresh, and what they refuse.
"""

import frappe
from frappe.model.document import Document
from frappe.model.naming import NamingSeries

from school_fees import audit
from school_fees.core.money import quantize, to_decimal
from school_fees.integrations.bank_reconciliation import remove_from_bank_transactions
from school_fees.ledger import posting

# Money fields rounded to the currency precision in validate, before any rule reads them
MONEY_FIELDTYPES = ("Currency",)


class AmountTooLargeError(frappe.ValidationError):
	"""An amount does not fit the database column."""


class FeeVoucher(Document):
	"""Base class of the four fee vouchers (see the module docstring)."""

	# Fee Audit Log actions for submit and cancel
	submit_action = "Submitted"
	cancel_action = "Cancelled"

	def on_submit(self):
		self.make_gl_entries()
		self.refresh_from_ledger()
		self.audit_submit()

	def on_cancel(self):
		posting.ignore_ledger_links(self)
		posting.reverse(self)
		self.refresh_from_ledger()
		if self.meta.has_field("clearance_date"):
			remove_from_bank_transactions(self.doctype, self.name)
		self.audit_cancel()

	def make_gl_entries(self):
		"""Post this voucher's GL (also called bare by ERPNext's Repost Accounting Ledger)."""
		posting.post(self, self.get_gl_entries())

	def get_gl_entries(self) -> list[frappe._dict]:
		raise NotImplementedError

	def refresh_from_ledger(self):
		"""Write back (and reflect here) what the ledger now says this voucher's amounts are."""

	def after_delete(self):
		keep_series_number(self)

	def audit_submit(self):
		audit.log(self.doctype, self.name, self.submit_action, company=self.company)

	def audit_cancel(self):
		audit.log(self.doctype, self.name, self.cancel_action, company=self.company)

	# ------------------------------------------------------------ shared validate steps

	def set_party_from_student(self, error: type[frappe.ValidationError]):
		"""The customer and the school default to the student's."""
		if not self.get("student"):
			return
		student = frappe.db.get_value("Student", self.student, ["customer", "company"], as_dict=True)
		if not student:
			frappe.throw(frappe._("Student {0} not found.").format(self.student), error)
		self.customer = self.customer or student.customer
		self.company = self.company or student.company

	def set_company_currency(self):
		"""Every fee document is in its school's currency."""
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")

	def round_money(self):
		"""Round every money input to the currency precision and refuse what the column cannot hold,
		so no rule and no ledger row ever sees a sub-cent or an overflowing amount."""
		precision = posting.currency_precision(self.company)
		for doc in [self, *self.get_all_children()]:
			for df in doc.meta.fields:
				if df.fieldtype not in MONEY_FIELDTYPES:
					continue
				value = doc.get(df.fieldname)
				if value in (None, ""):
					continue
				amount = quantize(to_decimal(value), precision)
				check_fits(amount, df.label or df.fieldname)
				doc.set(df.fieldname, float(amount))


def keep_series_number(doc) -> None:
	"""Keep a deleted draft's number used: a number names one document's history only.

	Deleting the document that holds a series' last number makes Frappe step the counter back
	(``frappe.model.naming.revert_series_if_last``, from ``delete_doc``), so the next voucher would
	take the same number and its audit trail would show both documents. Put the counter back to at
	least the deleted number; with the same prefix Frappe's revert computed (today's date)."""
	if not doc.naming_series:
		return
	prefix = NamingSeries(doc.naming_series).get_prefix()
	number = doc.name[len(prefix) :] if doc.name.startswith(prefix) else ""
	if not number.isdigit():
		return
	series = frappe.qb.DocType("Series")
	current = frappe.qb.from_(series).select(series.current).where(series.name == prefix).for_update().run()
	if current and (current[0][0] or 0) < int(number):
		frappe.qb.update(series).set(series.current, int(number)).where(series.name == prefix).run()


# Currency columns are decimal(21, 9): 12 digits before the point
LARGEST_AMOUNT = to_decimal("999999999999")


def check_fits(amount, label: str) -> None:
	if abs(to_decimal(amount)) > LARGEST_AMOUNT:
		frappe.throw(
			frappe._("{0} {1} is too large: amounts up to {2} can be recorded.").format(
				frappe._(label), amount, frappe.format(float(LARGEST_AMOUNT), "Currency")
			),
			AmountTooLargeError,
			title=frappe._("Amount Too Large"),
		)
