"""The parent portal: guardians see their own children's fees at /fees.

A guardian is a Website User listed in the Portal Users (``portal_users``, DocType "Portal User") of
the family's Customer, ERPNext's standard link between a user and a customer. The guardian's children
are the students billed to those customers. :func:`invite_guardian` (the "Invite Guardian" button on
the Student) creates the user from the student's guardian email, lists them in the customer's Portal
Users and queues the welcome mail; a mail that cannot be queued does not undo the invitation (the
answer says so).

What a guardian may see is decided here and nowhere else: the ``has_website_permission`` hooks of
Fee Invoice, Payment Allocation, Credit Note, Deposit and Student point at the ``*_website_permission``
functions below. Frappe asks them for a website user's prints and PDFs
(``frappe.www.printview.validate_print_permission``, used by ``frappe.utils.print_format.download_pdf``)
once the user's roles give nothing. A voucher is visible when it is submitted (never a draft, never a
cancelled one) and belongs to the family: billed to one of the guardian's customers and, where it
names a student, to one of their children.

The page (www/fees) shows each child's issued invoices (:func:`get_family_invoices`), receipts, open
credit and deposit held (ledger.balances.get_balance), the payment instructions of School Fees
Settings, and links to the PDFs: :func:`download_pdf` for an invoice or a receipt (the guard above,
then Frappe's own download_pdf) and :func:`download_statement` for a statement of account (the family
check, then statements' PDF builder; statements.download_statement needs desk rights on Student).
Every view of the page and every download is written to the Fee Audit Log ("Portal View",
"Portal Download") with the user and IP. Online payment is out of scope.
"""

import frappe
from frappe import _
from frappe.utils import add_months, get_first_day, getdate, nowdate, validate_email_address
from frappe.utils.html_utils import sanitize_html

from school_fees import audit, statements
from school_fees.ledger.balances import get_balance

STUDENT = "Student"
CUSTOMER = "Customer"
FEE_INVOICE = "Fee Invoice"
PAYMENT_ALLOCATION = "Payment Allocation"
CREDIT_NOTE = "Credit Note"
DEPOSIT = "Deposit"
PORTAL_USER = "Portal User"
GUEST = "Guest"
RECEIPT = "Receipt"
CANCELLED = "Cancelled"
SUBMITTED = 1

INVITE_ROLES = ("Fees Manager", "System Manager")
# ERPNext gives a customer's portal users this role (Customer.add_role_for_user); it has no desk access
CUSTOMER_ROLE = "Customer"
PORTAL_ROUTE = "/fees"
WEBSITE_PTYPES = frozenset({"read", "print"})
# the print format each downloadable doctype is printed with
PRINT_FORMATS = {FEE_INVOICE: "Fee Invoice", PAYMENT_ALLOCATION: "Fee Receipt"}

ACTION_VIEW = "Portal View"
ACTION_DOWNLOAD = "Portal Download"
ACTION_INVITE = "Guardian Invited"

INVOICE_FIELDS = [
	"name",
	"student",
	"student_name",
	"customer",
	"company",
	"currency",
	"status",
	"posting_date",
	"due_date",
	"installment",
	"is_late_fee",
	"grand_total",
	"outstanding_amount",
]


class GuardianEmailMissingError(frappe.ValidationError):
	"""The student's guardian has no (valid) email address to invite."""


class StudentWithoutCustomerError(frappe.ValidationError):
	"""The student is billed to no customer, so there is no family to give access to."""


class GuardianUserDisabledError(frappe.ValidationError):
	"""The guardian's email belongs to a disabled user."""


# ---------------------------------------------------------------- the family of a user


def family_customers(user: str | None = None) -> list[str]:
	"""The customers whose Portal Users list `user` (none for Guest)."""
	user = user or frappe.session.user
	if not user or user == GUEST:
		return []
	return frappe.get_all(
		PORTAL_USER,
		filters={"parenttype": CUSTOMER, "parentfield": "portal_users", "user": user},
		pluck="parent",
		distinct=True,
	)


def family_students(user: str | None = None, customers: list[str] | None = None) -> list[frappe._dict]:
	"""The students billed to the user's customers (their children), by name."""
	customers = family_customers(user) if customers is None else customers
	if not customers:
		return []
	return frappe.get_all(
		STUDENT,
		filters={"customer": ("in", customers)},
		fields=[
			"name",
			"student_name",
			"admission_no",
			"company",
			"customer",
			"grade",
			"class_section",
			"status",
			"joining_date",
		],
		order_by="student_name asc, name asc",
	)


def is_family_document(doc, user: str | None = None) -> bool:
	"""A submitted voucher billed to one of the user's customers and, if it names a student, to one of
	their children."""
	if not doc or doc.docstatus != SUBMITTED or doc.get("status") == CANCELLED:
		return False
	customers = family_customers(user)
	if not customers or doc.get("customer") not in customers:
		return False
	if doc.get("student"):
		return frappe.db.get_value(STUDENT, doc.student, "customer") in customers
	return True


def is_allowed_ptype(ptype: str | None) -> bool:
	return (ptype or "read") in WEBSITE_PTYPES


# ---------------------------------------------------------------- has_website_permission hooks


def fee_invoice_website_permission(doc=None, ptype=None, user=None, verbose=False) -> bool:
	"""An issued invoice of the user's child (hook; drafts and cancelled invoices never)."""
	return is_allowed_ptype(ptype) and is_family_document(doc, user)


def payment_allocation_website_permission(doc=None, ptype=None, user=None, verbose=False) -> bool:
	"""A submitted payment allocation (receipt, credit or deposit applied, refund) of the family."""
	return is_allowed_ptype(ptype) and is_family_document(doc, user)


def credit_note_website_permission(doc=None, ptype=None, user=None, verbose=False) -> bool:
	"""A submitted credit note of the user's child."""
	return is_allowed_ptype(ptype) and is_family_document(doc, user)


def deposit_website_permission(doc=None, ptype=None, user=None, verbose=False) -> bool:
	"""A submitted deposit of the user's child."""
	return is_allowed_ptype(ptype) and is_family_document(doc, user)


def student_website_permission(doc=None, ptype=None, user=None, verbose=False) -> bool:
	"""The user's own child (a student billed to one of the user's customers)."""
	if not doc or not is_allowed_ptype(ptype):
		return False
	return bool(doc.get("customer")) and doc.customer in family_customers(user)


# ---------------------------------------------------------------- what the page shows


def portal_user() -> str:
	"""The session user; a Guest is refused."""
	if frappe.session.user == GUEST:
		frappe.throw(_("Log in to see your children's fees."), frappe.PermissionError)
	return frappe.session.user


@frappe.whitelist()
def get_family_invoices() -> list[dict]:
	"""The issued invoices (submitted, not cancelled) of the session user's children: name, student,
	student_name, status, posting and due date, grand total and outstanding amount, by child and due date."""
	user = portal_user()
	customers = family_customers(user)
	children = [student.name for student in family_students(user, customers)]
	if not children:
		return []
	return frappe.get_all(
		FEE_INVOICE,
		filters={
			"docstatus": SUBMITTED,
			"status": ("!=", CANCELLED),
			"customer": ("in", customers),
			"student": ("in", children),
		},
		fields=INVOICE_FIELDS,
		order_by="student_name asc, student asc, due_date asc, name asc",
	)


def family_receipts(customers: list[str]) -> list[frappe._dict]:
	"""The family's submitted receipts, newest first, each with ``settled``: {student: amount}."""
	if not customers:
		return []
	receipts = frappe.get_all(
		PAYMENT_ALLOCATION,
		filters={"docstatus": SUBMITTED, "allocation_type": RECEIPT, "customer": ("in", customers)},
		fields=[
			"name",
			"customer",
			"student",
			"posting_date",
			"mode_of_payment",
			"reference_no",
			"currency",
			"paid_amount",
			"unallocated_amount",
		],
		order_by="posting_date desc, creation desc",
	)
	settled: dict[str, dict] = {}
	for row in frappe.get_all(
		"Payment Allocation Item",
		filters={
			"parenttype": PAYMENT_ALLOCATION,
			"parent": ("in", [receipt.name for receipt in receipts] or [""]),
		},
		fields=["parent", "student", "fee_invoice", "allocated_amount"],
		order_by="idx asc",
	):
		by_student = settled.setdefault(row.parent, {})
		entry = by_student.setdefault(row.student, frappe._dict(amount=0, invoices=[]))
		entry.amount += row.allocated_amount or 0
		entry.invoices.append(row.fee_invoice)
	for receipt in receipts:
		receipt.settled = settled.get(receipt.name, {})
	return receipts


def child_receipts(receipts: list[frappe._dict], student: str) -> list[frappe._dict]:
	"""The receipts that name the student or settled one of their invoices, with what they settled
	for this child (``for_child``, ``invoices``)."""
	rows = []
	for receipt in receipts:
		share = receipt.settled.get(student)
		if not share and receipt.student != student:
			continue
		rows.append(
			frappe._dict(
				receipt,
				for_child=share.amount if share else 0,
				invoices=share.invoices if share else [],
			)
		)
	return rows


def statement_period(student: frappe._dict) -> tuple:
	"""The default statement period: from the start of the month a year ago (or the joining date, if
	later) to today."""
	today = getdate(nowdate())
	start = get_first_day(add_months(today, -12))
	if student.joining_date and getdate(student.joining_date) > start:
		start = getdate(student.joining_date)
	return min(start, today), today


def payment_instructions() -> str:
	"""School Fees Settings' portal payment instructions (sanitized HTML, "" when unset)."""
	html = frappe.db.get_single_value("School Fees Settings", "portal_payment_instructions") or ""
	return sanitize_html(html) if html.strip() else ""


def get_portal_context() -> dict:
	"""Everything the /fees page shows the session user: ``families`` (customer,
	``children`` each with balance, invoices, receipts and the default statement period),
	``unassigned_receipts`` (receipts of a family that name no child and settled none) and
	``payment_instructions``."""
	user = portal_user()
	customers = family_customers(user)
	children = family_students(user, customers)
	invoices = get_family_invoices()
	receipts = family_receipts(customers)
	by_student: dict[str, list] = {}
	for invoice in invoices:
		by_student.setdefault(invoice.student, []).append(invoice)

	families = []
	for customer in customers:
		kids = []
		for student in (child for child in children if child.customer == customer):
			from_date, to_date = statement_period(student)
			kids.append(
				frappe._dict(
					student,
					currency=frappe.get_cached_value("Company", student.company, "default_currency"),
					balance=get_balance(student=student.name),
					invoices=by_student.get(student.name, []),
					receipts=child_receipts(receipts, student.name),
					statement_from=from_date,
					statement_to=to_date,
				)
			)
		families.append(
			frappe._dict(
				customer=customer,
				customer_name=frappe.db.get_value(CUSTOMER, customer, "customer_name") or customer,
				children=kids,
				unassigned_receipts=[
					receipt
					for receipt in receipts
					if receipt.customer == customer and not receipt.student and not receipt.settled
				],
			)
		)
	return {
		"families": families,
		"children": children,
		"payment_instructions": payment_instructions(),
	}


def log_portal_view(children: list) -> None:
	"""One "Portal View" row per child shown."""
	for child in children:
		audit.log_read(STUDENT, child.name, ACTION_VIEW, _("Fees page viewed in the parent portal."))


# ---------------------------------------------------------------- downloads


def check_family_access(doctype: str, name: str):
	"""The document, if the session user's family may see it; otherwise PermissionError (the same
	answer whether or not the document exists)."""
	portal_user()
	if not name or not frappe.db.exists(doctype, name):
		raise frappe.PermissionError(_("Not permitted"))
	doc = frappe.get_doc(doctype, name)
	if not frappe.has_website_permission(doc):
		frappe.throw(
			_("{0} {1} is not one of your family's documents.").format(_(doctype), name),
			frappe.PermissionError,
		)
	return doc


@frappe.whitelist()
def download_pdf(doctype: str, name: str) -> None:
	"""An invoice or receipt of the family as a PDF, printed by Frappe's own download_pdf (which checks
	has_website_permission again) in the doctype's print format; recorded as a "Portal Download"."""
	if doctype not in PRINT_FORMATS:
		frappe.throw(
			_("{0} cannot be downloaded from the portal.").format(_(doctype)), frappe.PermissionError
		)
	doc = check_family_access(doctype, name)
	from frappe.utils.print_format import download_pdf as frappe_download_pdf

	frappe_download_pdf(doctype, name, format=PRINT_FORMATS[doctype], doc=doc)
	audit.log_read(doctype, name, ACTION_DOWNLOAD, _("PDF downloaded from the parent portal."))


@frappe.whitelist()
def download_statement(student: str, from_date: str | None = None, to_date: str | None = None) -> None:
	"""A child's statement of account as a PDF (statements' builder), for the child's guardian only;
	recorded as a "Portal Download" on the Student."""
	doc = check_family_access(STUDENT, student)
	if not (from_date and to_date):
		default_from, default_to = statement_period(frappe._dict(joining_date=doc.joining_date))
		from_date, to_date = from_date or default_from, to_date or default_to
	statement = statements.get_statement(student, from_date, to_date)
	frappe.local.response.filename = statements.statement_file_name(statement)
	frappe.local.response.filecontent = statements.statement_pdf(statement)
	frappe.local.response.type = "pdf"
	audit.log_read(
		STUDENT,
		student,
		ACTION_DOWNLOAD,
		_("{0} downloaded from the parent portal.").format(statements.period_text(statement)),
	)


# ---------------------------------------------------------------- inviting a guardian


@frappe.whitelist(methods=["POST"])
def invite_guardian(student: str) -> dict:
	"""Give the student's guardian the parent portal: a Website User from the guardian's email (first
	name from guardian_name), listed in the Portal Users of the student's customer, and Frappe's welcome
	mail with the link to set a password.

	Fees Manager or System Manager only. An existing user is listed as they are. The welcome mail goes to
	a new user and again to one who has never logged in (so inviting again, once an outgoing Email
	Account exists, sends it); never to someone who has logged in. Returns {"user", "customer",
	"user_created", "already_listed", "mail": "queued" | "failed" | "not sent", "email_queue",
	"message"}: a mail Frappe cannot queue (no outgoing Email Account) leaves the access in place and
	the answer says so."""
	check_can_invite()
	frappe.has_permission(STUDENT, "read", doc=student, throw=True)
	info = frappe.db.get_value(
		STUDENT,
		student,
		["name", "student_name", "guardian_name", "guardian_email", "customer"],
		as_dict=True,
	)
	email = (validate_email_address((info.guardian_email or "").strip()) or "").lower()
	if not email:
		frappe.throw(
			_("Give the guardian's email address of {0} before inviting them.").format(
				frappe.bold(info.student_name)
			),
			GuardianEmailMissingError,
		)
	if not info.customer:
		frappe.throw(
			_("{0} is billed to no customer: save the student to create one.").format(
				frappe.bold(info.student_name)
			),
			StudentWithoutCustomerError,
		)

	user, created = ensure_guardian_user(email, info.guardian_name)
	already_listed = not add_portal_user(info.customer, user.name)
	mail, email_queue = ("not sent", None)
	if created or not user.last_login:
		mail, email_queue = send_welcome_mail(user)

	audit.log(
		STUDENT,
		student,
		ACTION_INVITE,
		reason=_("{0} invited to the parent portal as a portal user of {1}; welcome mail: {2}.").format(
			user.name, info.customer, _(mail)
		),
	)
	return {
		"user": user.name,
		"customer": info.customer,
		"user_created": created,
		"already_listed": already_listed,
		"mail": mail,
		"email_queue": email_queue,
		"message": invite_message(user.name, info.customer, created, already_listed, mail, email_queue),
	}


def check_can_invite() -> None:
	"""Fees Manager or System Manager (frappe.only_for, which tests skip, would say the same)."""
	if set(INVITE_ROLES).isdisjoint(frappe.get_roles()):
		frappe.throw(
			_("Only a {0} or a {1} can invite guardians to the parent portal.").format(
				_(INVITE_ROLES[0]), _(INVITE_ROLES[1])
			),
			frappe.PermissionError,
		)


def ensure_guardian_user(email: str, guardian_name: str | None):
	"""(User, created): the existing user of `email`, or a new Website User with the Customer role."""
	name = frappe.db.get_value("User", {"email": email}) or frappe.db.exists("User", email)
	if name:
		user = frappe.get_doc("User", name)
		if not user.enabled:
			frappe.throw(
				_("The user {0} is disabled: enable it before inviting the guardian.").format(user.name),
				GuardianUserDisabledError,
			)
		if user.user_type == "Website User" and CUSTOMER_ROLE not in {row.role for row in user.roles}:
			user.flags.ignore_permissions = True
			user.add_roles(CUSTOMER_ROLE)
		return user, False

	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			# the whole guardian name: splitting "Mr. / Ms. Reddy" or "Rao Asha" at a space guesses wrong
			"first_name": (guardian_name or "").strip() or email.split("@")[0],
			"user_type": "Website User",
			"send_welcome_email": 0,  # sent below, where a missing Email Account cannot undo the invite
			"redirect_url": PORTAL_ROUTE,  # where setting the password leads
			"roles": [{"role": CUSTOMER_ROLE}],
		}
	)
	user.insert(ignore_permissions=True)
	return user, True


def add_portal_user(customer: str, user: str) -> bool:
	"""List `user` in the customer's Portal Users (as ERPNext's Request for Quotation lists a supplier's
	users); False when already listed."""
	if frappe.db.exists(PORTAL_USER, {"parenttype": CUSTOMER, "parent": customer, "user": user}):
		return False
	doc = frappe.get_doc(CUSTOMER, customer)
	doc.append("portal_users", {"user": user})
	doc.flags.ignore_validate = True
	doc.flags.ignore_mandatory = True
	doc.flags.ignore_permissions = True
	doc.save()
	return True


def send_welcome_mail(user) -> tuple[str, str | None]:
	"""Queue Frappe's welcome mail (the "new_user" template with a set-password link): ("queued", the
	Email Queue row) or ("failed", None) when Frappe refuses it for want of an outgoing Email Account
	(logged in the Error Log; the invitation stands)."""
	user.flags.delay_emails = True  # into the Email Queue, never an SMTP call inside the request
	try:
		user.send_welcome_mail_to_user()
	except frappe.OutgoingEmailError:
		frappe.clear_last_message()
		frappe.log_error(
			title=_("Guardian welcome mail not sent"), reference_doctype="User", reference_name=user.name
		)
		return "failed", None
	queued = frappe.get_all(
		"Email Queue Recipient",
		filters={"recipient": user.email},
		pluck="parent",
		order_by="creation desc",
		limit=1,
	)
	return ("queued", queued[0]) if queued else ("failed", None)


def invite_message(
	user: str, customer: str, created: bool, already_listed: bool, mail: str, email_queue: str | None
) -> str:
	parts = [
		_("Created the portal user {0}.").format(user)
		if created
		else _("{0} already has an account.").format(user),
		_("They were already a portal user of {0}.").format(customer)
		if already_listed
		else _("Added them to the Portal Users of {0}.").format(customer),
	]
	if mail == "queued":
		parts.append(
			_("The welcome mail with the link to set a password is in the Email Queue ({0}).").format(
				email_queue
			)
		)
	elif mail == "failed":
		parts.append(
			_(
				"The welcome mail could not be sent: no outgoing Email Account is set up. The access is in "
				"place; once an Email Account exists, invite the guardian again to send the mail."
			)
		)
	else:
		parts.append(_("They have logged in before, so no welcome mail was sent."))
	parts.append(_("Their children's fees are at {0}.").format(frappe.utils.get_url(PORTAL_ROUTE)))
	return " ".join(parts)
