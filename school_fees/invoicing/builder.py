"""Fee invoice generation: from a Fee Structure's installment schedule to unsaved Fee Invoices.

`InvoiceBuilder` loads a fee structure once (schedule, per-component overrides, fee-head accounts,
company settings, discounts) and builds fully computed, unsaved Fee Invoice documents for any
number of students; the Billing Run bulk path, the student sync and the single-student API below
all use it. Each invoice carries its billing key (see invoicing.keys).
"""

from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, nowdate

import erpnext

from school_fees.accounts import get_fee_head_account
from school_fees.core.billing import billing_key
from school_fees.core.discounts import DiscountRule, stack_discounts
from school_fees.core.errors import DiscountError, ProrationError, ScheduleError
from school_fees.core.installments import InstallmentSpec, installment_amounts, installment_periods
from school_fees.core.money import ZERO, quantize, to_decimal
from school_fees.core.proration import ONE, prorate_amounts, proration_factors
from school_fees.invoicing.keys import existing_billing_keys, insert_invoice
from school_fees.invoicing.structures import InvoiceGenerationError, check_billable, is_billable_structure
from school_fees.ledger.posting import currency_precision
from school_fees.settings import get_company_settings

FEE_INVOICE = "Fee Invoice"
STUDENT_FIELDS = (
	"name",
	"student_name",
	"admission_no",
	"customer",
	"company",
	"grade",
	"class_section",
	"joining_date",
	"leaving_date",
	"status",
)


class InvoiceBuilder:
	"""Builds the Fee Invoices of one Fee Structure for any number of students.

	Everything that does not depend on the student is loaded once, in the constructor.
	"""

	def __init__(self, fee_structure: str):
		check_billable(fee_structure, InvoiceGenerationError)
		structure = frappe.get_doc("Fee Structure", fee_structure)
		self.structure = structure
		self.company = structure.company
		self.settings = get_company_settings(self.company)
		self.precision = currency_precision(self.company)
		self.currency = erpnext.get_company_currency(self.company)
		self.term = frappe.db.get_value(
			"Academic Term", structure.academic_term, ["name", "start_date", "end_date"], as_dict=True
		)
		self.specs = self._installment_specs()
		self.spec_index = {spec.label: index for index, spec in enumerate(self.specs)}
		self.components = self._components()
		try:
			self.amounts = installment_amounts(
				self.components, [spec.percentage for spec in self.specs], self._overrides(), self.precision
			)
			self.periods = installment_periods(self.specs, getdate(self.term.end_date))
		except ScheduleError as e:
			self._throw_core_error(e)
		self.head_accounts = self._head_accounts(self.components)
		self.descriptions = {row.fee_head: row.description for row in structure.components if row.description}
		self.discount_rules = self._discount_rules()

	# ------------------------------------------------------------ loading, once per structure

	def _installment_specs(self) -> list[InstallmentSpec]:
		specs = [
			InstallmentSpec(
				label=row.installment,
				issue_date=getdate(row.issue_date),
				due_date=getdate(row.due_date),
				percentage=to_decimal(row.percentage),
			)
			for row in self.structure.installments
		]
		return sorted(specs, key=lambda spec: spec.issue_date)

	def _components(self) -> dict[str, Decimal]:
		components: dict[str, Decimal] = {}
		for row in self.structure.components:
			components[row.fee_head] = components.get(row.fee_head, ZERO) + to_decimal(row.amount)
		return components

	def _overrides(self) -> dict[str, list[Decimal]]:
		"""Per-component schedules: a fee head with share rows is billed by them alone (an
		installment without a row for that head gets 0% of it)."""
		shares: dict[str, dict[str, Decimal]] = {}
		for row in self.structure.get("component_shares") or []:
			shares.setdefault(row.fee_head, {})[row.installment] = to_decimal(row.percentage)
		return {
			head: [by_installment.get(spec.label, ZERO) for spec in self.specs]
			for head, by_installment in shares.items()
		}

	def _head_accounts(self, heads) -> dict[str, frappe._dict]:
		return {head: get_fee_head_account(head, self.company) for head in heads}

	def _discount_rules(self) -> dict[str, DiscountRule]:
		"""Every enabled Fee Discount usable by the structure's company, in two queries."""
		discounts = frappe.get_all(
			"Fee Discount",
			filters={"disabled": 0},
			or_filters=[["company", "=", self.company], ["company", "is", "not set"]],
			fields=["name", "discount_type", "value", "priority"],
		)
		heads: dict[str, list[str]] = {}
		if discounts:
			for row in frappe.get_all(
				"Fee Discount Head",
				filters={"parenttype": "Fee Discount", "parent": ("in", [d.name for d in discounts])},
				fields=["parent", "fee_head"],
				order_by="idx",
			):
				heads.setdefault(row.parent, []).append(row.fee_head)
		return {
			d.name: DiscountRule(
				name=d.name,
				discount_type=d.discount_type,
				value=to_decimal(d.value),
				priority=int(d.priority or 0),
				fee_heads=tuple(heads.get(d.name, ())),
			)
			for d in discounts
		}

	def _throw_core_error(self, error: ValueError):
		frappe.throw(
			_("Fee Structure {0} cannot be billed: {1}").format(frappe.bold(self.structure.name), str(error)),
			InvoiceGenerationError,
		)

	# ------------------------------------------------------------ students

	@staticmethod
	def student_rows(names: list[str]) -> list[dict]:
		"""Students as the dicts `build` accepts, for many students in three queries."""
		if not names:
			return []
		students = frappe.get_all(
			"Student", filters={"name": ("in", list(names))}, fields=list(STUDENT_FIELDS), order_by="name"
		)
		discounts: dict[str, list[str]] = {}
		for row in frappe.get_all(
			"Student Fee Discount",
			filters={"parenttype": "Student", "parent": ("in", list(names))},
			fields=["parent", "fee_discount"],
			order_by="idx",
		):
			discounts.setdefault(row.parent, []).append(row.fee_discount)
		groups: dict[str, list[dict]] = {}
		for row in frappe.get_all(
			"Student Fee Group",
			filters={"parenttype": "Student", "parent": ("in", list(names))},
			fields=["parent", "fee_group", "from_date", "to_date"],
			order_by="idx",
		):
			groups.setdefault(row.parent, []).append(
				frappe._dict(fee_group=row.fee_group, from_date=row.from_date, to_date=row.to_date)
			)
		for student in students:
			student["discounts"] = discounts.get(student.name, [])
			student["fee_groups"] = groups.get(student.name, [])
		return students

	def _student(self, student: dict | str) -> frappe._dict:
		if isinstance(student, str):
			rows = self.student_rows([student])
			if not rows:
				frappe.throw(_("Student {0} not found").format(student), frappe.DoesNotExistError)
			return frappe._dict(rows[0])
		return frappe._dict(student)

	# ------------------------------------------------------------ building

	def build(
		self,
		student: dict | str,
		installment: str | None = None,
		posting_date=None,
		due_date=None,
		billing_run: str | None = None,
		fee_group: str | None = None,
	) -> list[Document]:
		"""Unsaved, fully computed Fee Invoices of `student`: one per installment (or just the
		named `installment`), prorated for a mid-term join, discounted, with accounts and totals.

		Installments with nothing to bill (proration factor 0, or zero amounts) are left out."""
		student = self._student(student)
		self._validate_student(student)
		indexes = self._installment_indexes(installment)
		join_date, leave_date = self._service_dates(student, fee_group)
		try:
			factors = proration_factors(
				self.periods, join_date, self.structure.proration_method, leave_date=leave_date
			)
		except ProrationError as e:
			self._throw_core_error(e)

		invoices = []
		for index in indexes:
			factor = factors[index]
			if factor <= 0:
				continue
			amounts = self.amounts[index]
			if factor != ONE:
				amounts = prorate_amounts(amounts, factor, self.precision)
			amounts = {head: amount for head, amount in amounts.items() if amount > 0}
			if not amounts:
				continue
			invoices.append(
				self._invoice(
					student,
					self.specs[index],
					amounts,
					factor,
					posting_date,
					due_date,
					billing_run,
					fee_group,
				)
			)
		return invoices

	def _validate_student(self, student: frappe._dict):
		if student.company != self.company:
			frappe.throw(
				_("Student {0} belongs to {1}, but Fee Structure {2} bills {3}.").format(
					frappe.bold(student.name), student.company, self.structure.name, self.company
				),
				InvoiceGenerationError,
			)
		if not student.customer:
			frappe.throw(
				_("Student {0} has no billing customer.").format(frappe.bold(student.name)),
				InvoiceGenerationError,
			)

	def _installment_indexes(self, installment: str | None) -> list[int]:
		if not installment:
			return list(range(len(self.specs)))
		if installment not in self.spec_index:
			frappe.throw(
				_("Fee Structure {0} has no installment {1}.").format(
					frappe.bold(self.structure.name), frappe.bold(installment)
				),
				InvoiceGenerationError,
			)
		return [self.spec_index[installment]]

	def _service_dates(self, student: frappe._dict, fee_group: str | None) -> tuple[date | None, date | None]:
		"""The days the student is billed for: from joining (or the group row's from date, if later)
		to leaving (or the group row's to date, if earlier). A withdrawn student without a leaving
		date is treated as leaving today."""
		join_date = getdate(student.joining_date) if student.joining_date else None
		leave_date = getdate(student.leaving_date) if student.leaving_date else None
		if not leave_date and student.status == "Withdrawn":
			leave_date = getdate(nowdate())
		row = self._group_row(student, fee_group)
		if row:
			if row.from_date:
				join_date = max(join_date, getdate(row.from_date)) if join_date else getdate(row.from_date)
			if row.to_date:
				leave_date = min(leave_date, getdate(row.to_date)) if leave_date else getdate(row.to_date)
		return join_date, leave_date

	@staticmethod
	def _group_row(student: frappe._dict, fee_group: str | None):
		if not fee_group:
			return None
		for row in student.get("fee_groups") or []:
			row = frappe._dict(row)
			if row.fee_group == fee_group:
				return row
		return None

	def _student_rules(self, student: frappe._dict) -> list[DiscountRule]:
		return [
			self.discount_rules[name]
			for name in student.get("discounts") or []
			if name in self.discount_rules
		]

	def _invoice(
		self, student, spec: InstallmentSpec, amounts, factor, posting_date, due_date, billing_run, fee_group
	) -> Document:
		try:
			discounts, lines = stack_discounts(amounts, self._student_rules(student), self.precision)
		except DiscountError as e:
			self._throw_core_error(e)

		doc = frappe.new_doc(FEE_INVOICE)
		doc.update(
			{
				"student": student.name,
				"student_name": student.student_name,
				"admission_no": student.admission_no,
				"customer": student.customer,
				"company": self.company,
				"grade": student.grade,
				"class_section": student.class_section,
				"academic_term": self.structure.academic_term,
				"fee_structure": self.structure.name,
				"installment": spec.label,
				"fee_group": fee_group,
				"billing_run": billing_run,
				"posting_date": getdate(posting_date) if posting_date else spec.issue_date,
				"due_date": getdate(due_date) if due_date else spec.due_date,
				"proration_factor": float(factor),
				"currency": self.currency,
				"receivable_account": self.settings.receivable_account,
				"cost_center": self.settings.cost_center,
				"billing_key": billing_key(student.name, self.structure.name, spec.label),
				"status": "Draft",
			}
		)
		doc.flags.company_settings = self.settings  # get_gl_entries reuses it (bulk posting)
		for head, amount in amounts.items():
			account = self.head_accounts[head]
			doc.append(
				"items",
				{
					"fee_head": head,
					"description": self.descriptions.get(head),
					"amount": flt(amount),
					"discount_amount": flt(discounts[head]),
					"net_amount": flt(amount - discounts[head]),
					"income_account": account.income_account,
					"cost_center": account.cost_center,
				},
			)
		for line in lines:
			doc.append(
				"discounts",
				{
					"fee_discount": line.discount,
					"fee_head": line.fee_head,
					"discount_type": line.discount_type,
					"value": flt(line.value),
					"priority": line.priority,
					"amount": flt(line.amount),
				},
			)
		set_totals(doc, self.precision)
		return doc


def set_totals(doc: Document, precision: int) -> None:
	"""Item net amounts and the invoice totals, computed in Decimal and written back rounded;
	an unissued invoice owes its grand total."""
	total = discount_total = ZERO
	for item in doc.items:
		amount = quantize(item.amount, precision)
		discount = quantize(item.discount_amount, precision)
		item.amount, item.discount_amount, item.net_amount = (
			flt(amount),
			flt(discount),
			flt(amount - discount),
		)
		total += amount
		discount_total += discount
	doc.total = flt(total)
	doc.discount_total = flt(discount_total)
	doc.grand_total = flt(total - discount_total)
	if doc.docstatus == 0:
		doc.outstanding_amount = doc.grand_total
		doc.paid_amount = 0


# ---------------------------------------------------------------- the single-student API


@frappe.whitelist(methods=["POST"])
def make_fee_invoices(
	student: str, fee_structure: str | None = None, installment: str | None = None, submit: bool = False
) -> list[str]:
	"""Create the Fee Invoices of `student`: for `fee_structure` (default: the structures of the
	student's fee groups), all installments or only `installment`; submit them if asked.

	Installments that already have a live invoice are skipped (and the user is told). Returns the
	names of the invoices created."""
	frappe.has_permission("Student", "read", student, throw=True)
	frappe.has_permission(FEE_INVOICE, "create", throw=True)
	if submit:
		frappe.has_permission(FEE_INVOICE, "submit", throw=True)

	rows = InvoiceBuilder.student_rows([student])
	if not rows:
		frappe.throw(_("Student {0} not found").format(student), frappe.DoesNotExistError)
	student_row = frappe._dict(rows[0])
	targets = billing_targets(student_row, fee_structure)

	created, skipped = [], []
	for structure, fee_group in targets:
		builder = InvoiceBuilder(structure)
		if installment and installment not in builder.spec_index:
			if fee_structure:
				builder._installment_indexes(installment)  # throws the clear message
			continue
		docs = builder.build(student_row, installment=installment, fee_group=fee_group)
		taken = existing_billing_keys([doc.billing_key for doc in docs])
		for doc in docs:
			if doc.billing_key in taken:
				skipped.append(f"{structure} / {doc.installment}")
				continue
			insert_invoice(doc)
			if submit:
				doc.submit()
			created.append(doc.name)

	if skipped:
		frappe.msgprint(
			_("Skipped, already billed: {0}").format(", ".join(skipped)),
			title=_("Already Billed"),
			alert=True,
		)
	if not created and not skipped:
		frappe.msgprint(_("Nothing to bill for student {0}.").format(student), alert=True)
	return created


def billing_targets(student: frappe._dict, fee_structure: str | None) -> list[tuple[str, str | None]]:
	"""(fee structure, fee group) pairs to bill: the given structure (with the student's group
	for it, if any) or the submitted structures of every enabled fee group of the student."""
	group_names = [row.fee_group for row in student.fee_groups]
	groups = {
		g.name: g
		for g in frappe.get_all(
			"Fee Group",
			filters={"name": ("in", group_names or [""])},
			fields=["name", "fee_structure", "disabled"],
		)
	}
	if fee_structure:
		group = next(
			(n for n in group_names if n in groups and groups[n].fee_structure == fee_structure), None
		)
		return [(fee_structure, group)]
	targets = [
		(groups[name].fee_structure, name)
		for name in group_names
		if name in groups and not groups[name].disabled and is_billable_structure(groups[name].fee_structure)
	]
	if not targets:
		frappe.throw(
			_(
				"Student {0} is in no fee group with a submitted fee structure: choose a fee structure."
			).format(frappe.bold(student.name)),
			InvoiceGenerationError,
		)
	return targets


def group_structures(fee_groups: set[str]) -> list[tuple[str, str]]:
	"""(submitted fee structure, fee group) of the enabled `fee_groups`."""
	if not fee_groups:
		return []
	rows = frappe.get_all(
		"Fee Group",
		filters={"name": ("in", sorted(fee_groups)), "disabled": 0},
		fields=["name", "fee_structure"],
		order_by="name",
	)
	return [(r.fee_structure, r.name) for r in rows if is_billable_structure(r.fee_structure)]
