"""Fee Collection: the daily close, money in and out by mode of payment and cashier.

One row per submitted voucher that moved cash between the school and a family in the date window:
receipts (Payment Allocation of type Receipt) and deposits taken (Deposit) are money in, refunds
(Payment Allocation of type Refund, of credit or of a deposit) money out, shown as a negative
amount. Applying credit or a deposit, and moving a deposit to credit, move no cash and are left out;
so are drafts and cancelled vouchers. The cashier is the user who made the voucher (its owner, as in
ERPNext's Sales Payment Summary). A voucher that names no student (a family's receipt) is
the student's whose invoices it settles, or whose credit or deposit it refunds, or the customer's
students; siblings are listed together.

Cards: net collection, received, refunded, then the net of each mode of payment and of each cashier;
the chart stacks each mode's net by cashier. Class sections are the students' current ones; a
restricted class teacher sees only the vouchers of their sections' students.
"""

from collections import defaultdict
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, get_fullname, getdate

from school_fees.core.money import ZERO, to_decimal
from school_fees.core.payment_types import RECEIPT, REFUND
from school_fees.permissions import check_school_access, sections_of
from school_fees.school_fees.report.common import check_date_window, column, currency_column

PAYMENT_ALLOCATION = "Payment Allocation"
DEPOSIT = "Deposit"


class CollectionFilterError(frappe.ValidationError):
	pass


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_school_access(filters.company)
	validate_filters(filters)
	rows = get_rows(filters)
	currency = frappe.get_cached_value("Company", filters.company, "default_currency")
	return (
		get_columns(),
		[row_for_report(row) for row in rows],
		None,
		get_chart(rows),
		get_summary(rows, currency),
	)


def validate_filters(filters) -> None:
	if not filters.get("from_date") or not filters.get("to_date"):
		frappe.throw(_("Give a From Date and a To Date."), CollectionFilterError)
	check_date_window(filters, CollectionFilterError)


def get_rows(filters) -> list[frappe._dict]:
	sections = sections_of()
	if sections is not None and not sections:
		return []
	rows = allocation_rows(filters) + deposit_rows(filters)
	attach_students(rows)
	if filters.get("class_section"):
		rows = [row for row in rows if filters.class_section in row.sections]
	if sections is not None:
		rows = [row for row in rows if row.sections & set(sections)]
	for row in rows:
		row.amount = to_decimal(row.amount)
		if row.receipt_type == REFUND:
			row.amount = -row.amount
	rows.sort(key=lambda row: (row.posting_date, row.creation, row.receipt))
	return rows


def allocation_rows(filters) -> list[frappe._dict]:
	voucher = frappe.qb.DocType(PAYMENT_ALLOCATION)
	query = cash_voucher_query(voucher, filters).select(
		voucher.allocation_type.as_("receipt_type"),
		voucher.paid_amount.as_("amount"),
		voucher.source_doctype,
		voucher.source_name,
	)
	rows = query.where(voucher.allocation_type.isin([RECEIPT, REFUND])).run(as_dict=True)
	for row in rows:
		row.voucher_type = PAYMENT_ALLOCATION
	return rows


def deposit_rows(filters) -> list[frappe._dict]:
	voucher = frappe.qb.DocType(DEPOSIT)
	rows = cash_voucher_query(voucher, filters).select(voucher.amount).run(as_dict=True)
	for row in rows:
		row.voucher_type = DEPOSIT
		row.receipt_type = DEPOSIT
	return rows


def cash_voucher_query(voucher, filters):
	"""The columns and filters shared by receipts, refunds and deposits."""
	query = (
		frappe.qb.from_(voucher)
		.select(
			voucher.name.as_("receipt"),
			voucher.posting_date,
			voucher.creation,
			voucher.student,
			voucher.customer,
			voucher.mode_of_payment,
			voucher.reference_no,
			voucher.owner.as_("cashier"),
			voucher.currency,
		)
		.where(
			(voucher.company == filters.company)
			& (voucher.docstatus == 1)
			& (voucher.posting_date >= getdate(filters.from_date))
			& (voucher.posting_date <= getdate(filters.to_date))
		)
	)
	if filters.get("mode_of_payment"):
		query = query.where(voucher.mode_of_payment == filters.mode_of_payment)
	if filters.get("cashier"):
		query = query.where(voucher.owner == filters.cashier)
	return query


def attach_students(rows) -> None:
	"""Whose money each voucher is: the student it names; else the students of the invoices it
	settles; else the student of the credit or deposit it refunds; else the students billed to its
	customer (a family account). Sets ``student`` and ``class_section`` when there is one,
	``student_name`` (siblings' names joined) and ``sections`` (a set, for the section filters)."""
	students = {row.receipt: {row.student} for row in rows if row.student}
	for find in (students_of_allocations, students_of_sources, students_of_customers):
		pending = [row for row in rows if not students.get(row.receipt)]
		if pending:
			students.update(find(pending))
	names = set().union(*students.values()) if students else set()
	details = {
		student.name: student
		for student in frappe.get_all(
			"Student",
			filters={"name": ("in", sorted(names) or [""])},
			fields=["name", "student_name", "class_section"],
		)
	}
	for row in rows:
		own = sorted(students.get(row.receipt, set()) & set(details))
		row.student = own[0] if len(own) == 1 else None
		row.student_name = ", ".join(details[name].student_name or name for name in own)
		row.sections = {details[name].class_section for name in own if details[name].class_section}
		row.class_section = next(iter(row.sections)) if len(row.sections) == 1 else None


def students_of_allocations(rows) -> dict[str, set[str]]:
	"""{receipt: students of the invoices it settles}."""
	names = [row.receipt for row in rows if row.voucher_type == PAYMENT_ALLOCATION]
	found = defaultdict(set)
	if names:
		for parent, student in frappe.get_all(
			"Payment Allocation Item",
			filters={"parenttype": PAYMENT_ALLOCATION, "parent": ("in", names), "student": ("is", "set")},
			fields=["parent", "student"],
			as_list=True,
		):
			found[parent].add(student)
	return found


def students_of_sources(rows) -> dict[str, set[str]]:
	"""{refund: the student of the credit note, receipt or deposit it pays back}."""
	sources = defaultdict(list)
	for row in rows:
		if row.get("source_name") and frappe.get_meta(row.source_doctype).has_field("student"):
			sources[row.source_doctype].append(row.source_name)
	student_of = {}
	for doctype, names in sources.items():
		for name, student in frappe.get_all(
			doctype, filters={"name": ("in", names)}, fields=["name", "student"], as_list=True
		):
			student_of[(doctype, name)] = student
	found = {}
	for row in rows:
		student = student_of.get((row.get("source_doctype"), row.get("source_name")))
		if student:
			found[row.receipt] = {student}
	return found


def students_of_customers(rows) -> dict[str, set[str]]:
	"""{voucher: the students billed to its customer}."""
	customers = sorted({row.customer for row in rows if row.customer})
	by_customer = defaultdict(set)
	if customers:
		for name, customer in frappe.get_all(
			"Student", filters={"customer": ("in", customers)}, fields=["name", "customer"], as_list=True
		):
			by_customer[customer].add(name)
	return {row.receipt: by_customer[row.customer] for row in rows if by_customer.get(row.customer)}


def row_for_report(row) -> dict:
	result = dict(row)
	for field in ("creation", "sections", "source_doctype", "source_name"):
		result.pop(field, None)
	result["amount"] = flt(row.amount)
	return result


def net_by(rows, key) -> dict[str, Decimal]:
	"""Net amount per value of `key(row)`, in order of first appearance."""
	totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
	for row in rows:
		totals[key(row)] += row.amount
	return dict(totals)


def mode_of(row) -> str:
	return row.mode_of_payment or _("Not Set")


def get_summary(rows, currency: str) -> list[dict]:
	received = sum((row.amount for row in rows if row.amount > 0), ZERO)
	refunded = sum((row.amount for row in rows if row.amount < 0), ZERO)

	def card(label, value, indicator):
		return {
			"label": label,
			"value": flt(value),
			"datatype": "Currency",
			"currency": currency,
			"indicator": indicator,
		}

	summary = [
		card(_("Net Collection"), received + refunded, "Blue"),
		card(_("Received"), received, "Green"),
		card(_("Refunded"), refunded, "Red" if refunded else "Grey"),
	]
	for mode, amount in sorted(net_by(rows, mode_of).items()):
		summary.append(card(mode, amount, "Blue"))
	for cashier, amount in sorted(net_by(rows, lambda row: row.cashier).items()):
		summary.append(card(_("Cashier: {0}").format(get_fullname(cashier)), amount, "Grey"))
	return summary


def get_chart(rows) -> dict | None:
	if not rows:
		return None
	modes = sorted({mode_of(row) for row in rows})
	cashiers = sorted({row.cashier for row in rows})
	net = net_by(rows, lambda row: (mode_of(row), row.cashier))
	return {
		"data": {
			"labels": modes,
			"datasets": [
				{
					"name": get_fullname(cashier),
					"values": [flt(net.get((mode, cashier), ZERO)) for mode in modes],
				}
				for cashier in cashiers
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"fieldtype": "Currency",
		"height": 240,
	}


def get_columns() -> list[dict]:
	# Mode of payment and customer are plain text: Frappe checks every Link column of the rows
	# against the rights of a user with User Permissions, and a Principal or Trust Administrator
	# reads neither doctype
	return [
		column("posting_date", _("Date"), "Date", 115),
		column("receipt", _("Receipt"), "Dynamic Link", 170, "voucher_type"),
		column("receipt_type", _("Type"), width=80),
		column("student", _("Student"), "Link", 105, "Student"),
		column("student_name", _("Student Name"), width=150),
		column("class_section", _("Class Section"), "Link", 135, "Class Section"),
		column("mode_of_payment", _("Mode of Payment"), width=130),
		column("amount", _("Amount"), "Currency", 115, "currency"),
		column("cashier", _("Cashier"), "Link", 150, "User"),
		column("reference_no", _("Reference No"), width=120),
		column("customer", _("Customer"), width=140),
		{"label": _("Voucher Type"), "fieldname": "voucher_type", "fieldtype": "Data", "hidden": 1},
		currency_column(),
	]
