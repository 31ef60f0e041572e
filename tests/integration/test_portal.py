"""The parent portal (school_fees.portal, /fees) as real users: two families, each a Customer with
students and invoices (drafts, issued, paid, cancelled); family A's guardian invited through
invite_guardian by a Fees Manager, family B's listed in their customer's Portal Users by hand.

As the guardian: get_family_invoices() is exactly the children's issued invoices; has_website_permission
(the hooks) refuses another family's documents and drafts; Frappe's own download_pdf refuses another
family's invoice and prints their own; the statement is theirs only; /fees renders their children and
nothing else, and a Guest is sent to the login page; views and downloads leave Fee Audit Log rows.

PDFs: wkhtmltopdf loads the print styles from the site's URL; test_bulk_export's `site_assets` fixture
serves the bench's /assets on 127.0.0.1 and points host_name at it."""

import pytest
from factories import (
	make_credit_note,
	make_deposit,
	make_fee_head,
	make_fee_invoice,
	make_income_account,
	make_payment_allocation,
	make_student,
	make_user,
)

# fixtures, used by name: the /assets server for wkhtmltopdf
from test_bulk_export import REQUEST_IP, site_assets

import frappe
from frappe.utils import fmt_money, set_request
from frappe.utils.print_format import download_pdf as frappe_download_pdf
from frappe.website.serve import get_response

from school_fees import portal, statements
from school_fees.portal import (
	GuardianEmailMissingError,
	download_pdf,
	download_statement,
	get_family_invoices,
	get_portal_context,
	invite_guardian,
)
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice

POSTING, DUE = "2026-09-01", "2026-12-31"
INSTRUCTIONS = "Pay by bank transfer to account 12-3456-789, quoting the invoice number."


def invoice(company, student, head, amount, submit=True):
	return make_fee_invoice(
		company, student=student, items=[(head, amount)], posting_date=POSTING, due_date=DUE, submit=submit
	)


def portal_users(customer: str) -> list[str]:
	return frappe.get_all("Portal User", filters={"parenttype": "Customer", "parent": customer}, pluck="user")


def audit_rows(action: str, reference_name: str, user: str | None = None) -> list[frappe._dict]:
	filters = {"action": action, "reference_name": reference_name}
	if user:
		filters["user"] = user
	return frappe.get_all(
		"Fee Audit Log", filters=filters, fields=["reference_doctype", "user", "ip_address", "reason"]
	)


@pytest.fixture(autouse=True)
def request_commit_flag():
	"""frappe.local.flags.commit: what makes Frappe commit a GET request (the audit rows of a view or a
	download); tests check it is set and never leave it behind."""
	frappe.local.flags.pop("commit", None)
	yield
	frappe.local.flags.pop("commit", None)


@pytest.fixture
def families(company, monkeypatch):
	"""Family A: students a1 and a2 (siblings on one customer); family B: student b1.

	a1: issued 1,200; partly paid 1,500 (500 received); draft 900; cancelled 800; a credit note of 250
	and a deposit of 1,000. a2: paid 600 (one receipt); draft 300. b1: issued 700; draft 400."""
	monkeypatch.setattr(frappe.local, "request_ip", REQUEST_IP, raising=False)
	head = make_fee_head(company=company, income_account=make_income_account(company)).name
	a1 = make_student(
		company,
		guardian_name="Asha Rao",
		guardian_email=f"{frappe.generate_hash(length=10)}@school-fees.invalid",
	)
	a2 = make_student(
		company, customer=a1.customer, guardian_name="Asha Rao", guardian_email=a1.guardian_email
	)
	b1 = make_student(
		company,
		guardian_name="Bola Ade",
		guardian_email=f"{frappe.generate_hash(length=10)}@school-fees.invalid",
	)

	a1_issued = invoice(company, a1.name, head, 1200)
	a1_partly = invoice(company, a1.name, head, 1500)
	a1_receipt = make_payment_allocation(
		company, a1.customer, paid_amount=500, posting_date=POSTING, allocations=[(a1_partly.name, 500)]
	)
	a1_draft = invoice(company, a1.name, head, 900, submit=False)
	a1_cancelled = invoice(company, a1.name, head, 800)
	cancel_fee_invoice(a1_cancelled.name, "Billed to the wrong student")
	a1_credit = make_credit_note(company, a1.name, amount=250, posting_date=POSTING)
	a1_deposit = make_deposit(company, a1.name, amount=1000, posting_date=POSTING)
	a1_draft_deposit = make_deposit(company, a1.name, amount=50, posting_date=POSTING, submit=False)
	a2_paid = invoice(company, a2.name, head, 600)
	a2_receipt = make_payment_allocation(
		company, a1.customer, paid_amount=600, posting_date=POSTING, allocations=[(a2_paid.name, 600)]
	)
	a2_draft = invoice(company, a2.name, head, 300, submit=False)
	b1_issued = invoice(company, b1.name, head, 700)
	b1_draft = invoice(company, b1.name, head, 400, submit=False)
	b1_receipt = make_payment_allocation(
		company, b1.customer, paid_amount=100, posting_date=POSTING, allocations=[(b1_issued.name, 100)]
	)

	statuses = {
		doc.name: frappe.db.get_value("Fee Invoice", doc.name, "status")
		for doc in (a1_issued, a1_partly, a1_draft, a1_cancelled, a2_paid, b1_issued)
	}
	assert list(statuses.values()) == [
		"Issued",
		"Partially Paid",
		"Draft",
		"Cancelled",
		"Paid",
		"Partially Paid",
	]

	manager = make_user("Fees Manager")
	frappe.set_user(manager)
	invited = invite_guardian(a1.name)
	frappe.set_user("Administrator")

	guardian_b = make_user(first_name="Bola")  # no roles: a Website User
	customer_b = frappe.get_doc("Customer", b1.customer)
	customer_b.append("portal_users", {"user": guardian_b})
	customer_b.save(ignore_permissions=True)

	return frappe._dict(
		company=company,
		head=head,
		a1=a1,
		a2=a2,
		b1=b1,
		a1_issued=a1_issued.name,
		a1_partly=a1_partly.name,
		a1_draft=a1_draft.name,
		a1_cancelled=a1_cancelled.name,
		a1_receipt=a1_receipt.name,
		a1_credit=a1_credit.name,
		a1_deposit=a1_deposit.name,
		a1_draft_deposit=a1_draft_deposit.name,
		a2_paid=a2_paid.name,
		a2_receipt=a2_receipt.name,
		a2_draft=a2_draft.name,
		b1_issued=b1_issued.name,
		b1_draft=b1_draft.name,
		b1_receipt=b1_receipt.name,
		manager=manager,
		invited=invited,
		guardian_a=invited["user"],
		guardian_b=guardian_b,
	)


# ---------------------------------------------------------------- invite_guardian


def test_invite_guardian_creates_a_website_user_listed_on_the_family_customer(families):
	result, email = families.invited, families.a1.guardian_email.lower()
	assert result["user"] == email
	assert result["customer"] == families.a1.customer
	assert result["user_created"] is True
	assert result["already_listed"] is False
	user = frappe.get_doc("User", email)
	assert user.user_type == "Website User"
	assert (user.first_name, user.last_name, user.full_name) == ("Asha Rao", None, "Asha Rao")
	assert {row.role for row in user.roles} == {"Customer"}
	assert user.redirect_url == "/fees"
	assert portal_users(families.a1.customer) == [email]
	# the site has no outgoing Email Account: Frappe refuses the welcome mail, the access stays and the
	# answer says so
	assert (result["mail"], result["email_queue"]) == ("failed", None)
	assert "no outgoing Email Account" in result["message"]
	assert frappe.get_all(
		"Error Log",
		filters={
			"reference_doctype": "User",
			"reference_name": email,
			"method": "Guardian welcome mail not sent",
		},
	)
	invited = audit_rows("Guardian Invited", families.a1.name)
	assert [(row.user, row.ip_address) for row in invited] == [(families.manager, REQUEST_IP)]


@pytest.mark.usefixtures("outgoing_mail")
def test_invite_guardian_queues_the_welcome_mail_when_an_email_account_exists(families, company):
	student = make_student(
		company, guardian_name="Dara", guardian_email=f"{frappe.generate_hash(length=10)}@School-Fees.invalid"
	)
	frappe.set_user(families.manager)
	result = invite_guardian(student.name)
	email = student.guardian_email.lower()
	assert (result["user"], result["user_created"], result["mail"]) == (email, True, "queued")
	assert frappe.db.get_value("User", email, ["first_name", "last_name"]) == ("Dara", None)
	queue = frappe.get_doc("Email Queue", result["email_queue"])
	assert [row.recipient for row in queue.recipients] == [email]
	assert "/update-password?key=" in queue.message
	assert result["email_queue"] in result["message"]
	frappe.set_user("Administrator")
	assert portal_users(student.customer) == [email]


def test_inviting_again_lists_nobody_twice_and_mails_only_who_never_logged_in(families):
	frappe.set_user(families.manager)
	again = invite_guardian(families.a2.name)  # the sibling: same guardian, same customer
	assert again["user"] == families.guardian_a
	assert (again["user_created"], again["already_listed"]) == (False, True)
	assert again["mail"] == "failed"  # never logged in: the welcome mail is tried again
	frappe.db.set_value("User", families.guardian_a, "last_login", "2026-11-01 10:00:00")
	again = invite_guardian(families.a2.name)
	assert (again["mail"], again["email_queue"]) == ("not sent", None)
	assert "logged in before" in again["message"]
	frappe.set_user("Administrator")
	assert portal_users(families.a1.customer) == [families.guardian_a]


def test_invite_guardian_is_refused_for_a_fee_cashier(families, company):
	student = make_student(
		company,
		guardian_name="Chidi Obi",
		guardian_email=f"{frappe.generate_hash(length=10)}@school-fees.invalid",
	)
	frappe.set_user(make_user("Fee Cashier"))
	with pytest.raises(frappe.PermissionError):
		invite_guardian(student.name)
	frappe.set_user("Administrator")
	assert not frappe.db.exists("User", student.guardian_email)
	assert portal_users(student.customer) == []


def test_invite_guardian_needs_the_guardian_email(families, company):
	student = make_student(company, guardian_name="No Mail")
	frappe.set_user(families.manager)
	with pytest.raises(GuardianEmailMissingError):
		invite_guardian(student.name)


# ---------------------------------------------------------------- what a guardian sees


def test_get_family_invoices_is_exactly_the_childrens_issued_invoices(families):
	frappe.set_user(families.guardian_a)
	rows = {row.name: row for row in get_family_invoices()}
	assert set(rows) == {families.a1_issued, families.a1_partly, families.a2_paid}
	assert {
		name: (row.student, row.status, row.grand_total, row.outstanding_amount) for name, row in rows.items()
	} == {
		families.a1_issued: (families.a1.name, "Issued", 1200, 1200),
		families.a1_partly: (families.a1.name, "Partially Paid", 1500, 1000),
		families.a2_paid: (families.a2.name, "Paid", 600, 0),
	}
	assert {str(row.due_date) for row in rows.values()} == {DUE}

	frappe.set_user(families.guardian_b)
	rows = get_family_invoices()
	assert [(row.name, row.status, row.outstanding_amount) for row in rows] == [
		(families.b1_issued, "Partially Paid", 600)
	]


def test_a_user_of_no_family_sees_nothing_and_a_guest_is_refused(families):
	frappe.set_user(make_user(first_name="Stranger"))
	assert get_family_invoices() == []
	frappe.set_user("Guest")
	with pytest.raises(frappe.PermissionError):
		get_family_invoices()


def test_website_permission_is_the_familys_submitted_documents_only(families):
	frappe.set_user(families.guardian_a)

	def allowed(doctype, name, ptype="read"):
		return frappe.has_website_permission(frappe.get_doc(doctype, name), ptype=ptype)

	for doctype, name in (
		("Fee Invoice", families.a1_issued),
		("Fee Invoice", families.a2_paid),
		("Payment Allocation", families.a1_receipt),
		("Credit Note", families.a1_credit),
		("Deposit", families.a1_deposit),
		("Student", families.a1.name),
		("Student", families.a2.name),
	):
		assert allowed(doctype, name), (doctype, name)
	for doctype, name in (
		("Fee Invoice", families.a1_draft),
		("Fee Invoice", families.a1_cancelled),
		("Fee Invoice", families.b1_issued),
		("Fee Invoice", families.b1_draft),
		("Payment Allocation", families.b1_receipt),
		("Deposit", families.a1_draft_deposit),
		("Student", families.b1.name),
	):
		assert not allowed(doctype, name), (doctype, name)
	assert not allowed("Fee Invoice", families.a1_issued, ptype="write")
	# and the hook itself, for the other guardian
	doc = frappe.get_doc("Fee Invoice", families.a1_issued)
	assert portal.fee_invoice_website_permission(doc, "read", families.guardian_b) is False
	assert portal.fee_invoice_website_permission(doc, "read", "Guest") is False


@pytest.mark.usefixtures("site_assets")
def test_the_guardian_downloads_their_invoice_and_receipt_and_the_download_is_audited(families):
	frappe.set_user(families.guardian_a)
	frappe.local.flags.pop("commit", None)
	download_pdf("Fee Invoice", families.a1_partly)
	assert frappe.local.flags.commit is True  # the GET request keeps its audit row
	assert frappe.local.response.type == "pdf"
	assert frappe.local.response.filecontent.startswith(b"%PDF")
	download_pdf("Payment Allocation", families.a1_receipt)
	assert frappe.local.response.filecontent.startswith(b"%PDF")
	frappe.set_user("Administrator")
	for name in (families.a1_partly, families.a1_receipt):
		rows = audit_rows("Portal Download", name)
		assert [(row.user, row.ip_address) for row in rows] == [(families.guardian_a, REQUEST_IP)]


@pytest.mark.usefixtures("site_assets")
def test_another_familys_invoice_pdf_and_a_draft_are_refused(families):
	frappe.set_user(families.guardian_a)
	# Frappe's own endpoint (validate_print_permission -> has_website_permission)
	with pytest.raises(frappe.PermissionError):
		frappe_download_pdf("Fee Invoice", families.b1_issued, format="Fee Invoice")
	with pytest.raises(frappe.PermissionError):
		frappe_download_pdf("Fee Invoice", families.a1_draft, format="Fee Invoice")
	with pytest.raises(frappe.PermissionError):
		frappe_download_pdf("Payment Allocation", families.b1_receipt, format="Fee Receipt")
	# ... and the portal's
	for doctype, name in (
		("Fee Invoice", families.b1_issued),
		("Fee Invoice", families.a1_draft),
		("Fee Invoice", "FINV-NO-SUCH-INVOICE"),
		("Payment Allocation", families.b1_receipt),
		("Credit Note", families.a1_credit),  # not a portal download at all
	):
		with pytest.raises(frappe.PermissionError):
			download_pdf(doctype, name)
	# Frappe's endpoint prints the guardian's own invoice
	frappe_download_pdf("Fee Invoice", families.a1_issued, format="Fee Invoice")
	assert frappe.local.response.filecontent.startswith(b"%PDF")
	frappe.set_user("Administrator")
	assert audit_rows("Portal Download", families.b1_issued) == []


@pytest.mark.usefixtures("site_assets")
def test_statement_pdf_for_the_own_child_only(families):
	frappe.set_user(families.guardian_a)
	with pytest.raises(frappe.PermissionError):
		statements.download_statement(families.a1.name, POSTING, DUE)  # the desk's: needs desk rights
	with pytest.raises(frappe.PermissionError):
		download_statement(families.b1.name, POSTING, "2026-11-30")
	download_statement(families.a1.name, POSTING, "2026-11-30")
	assert frappe.local.response.type == "pdf"
	assert frappe.local.response.filecontent.startswith(b"%PDF")
	assert frappe.local.response.filename.startswith("Statement-")
	frappe.set_user("Administrator")
	rows = audit_rows("Portal Download", families.a1.name)
	assert [(row.reference_doctype, row.user, row.ip_address) for row in rows] == [
		("Student", families.guardian_a, REQUEST_IP)
	]
	assert audit_rows("Portal Download", families.b1.name) == []


# ---------------------------------------------------------------- the page


def render_fees():
	set_request(method="GET", path="/fees")
	response = get_response("fees")
	return response, frappe.safe_decode(response.get_data())


def test_the_fees_page_shows_the_guardians_children_and_is_audited(families):
	frappe.db.set_single_value(
		"School Fees Settings", "portal_payment_instructions", f"<p>{INSTRUCTIONS}</p>"
	)
	frappe.set_user(families.guardian_a)
	frappe.local.flags.pop("commit", None)
	response, html = render_fees()
	assert response.status_code == 200
	assert frappe.local.flags.commit is True  # the GET request keeps its audit rows
	for name in (
		families.a1_issued,
		families.a1_partly,
		families.a2_paid,
		families.a1_receipt,
		families.a2_receipt,
	):
		assert name in html, name
	for name in (
		families.a1_draft,
		families.a1_cancelled,
		families.a2_draft,
		families.b1_issued,
		families.b1_receipt,
	):
		assert name not in html, name
	assert families.a1.student_name in html and families.a2.student_name in html
	assert families.b1.student_name not in html
	assert INSTRUCTIONS in html
	assert "school_fees.portal.download_statement" in html
	currency = frappe.get_cached_value("Company", families.company, "default_currency")
	assert fmt_money(2200, currency=currency) in html  # a1 owes 1,200 + 1,000

	frappe.set_user("Administrator")
	for student in (families.a1.name, families.a2.name):
		rows = audit_rows("Portal View", student)
		assert [(row.user, row.ip_address) for row in rows] == [(families.guardian_a, REQUEST_IP)]
	assert audit_rows("Portal View", families.b1.name) == []


def test_the_page_context_carries_each_childs_balance_and_receipts(families):
	frappe.set_user(families.guardian_a)
	context = get_portal_context()
	[family] = context["families"]
	assert family.customer == families.a1.customer
	children = {child.name: child for child in family.children}
	assert set(children) == {families.a1.name, families.a2.name}
	a1, a2 = children[families.a1.name], children[families.a2.name]
	assert (a1.balance["outstanding"], a1.balance["open_credit"], a1.balance["deposit_held"]) == (
		2200,
		250,
		1000,
	)
	assert (a2.balance["outstanding"], a2.balance["open_credit"], a2.balance["deposit_held"]) == (0, 0, 0)
	assert [(r.name, r.paid_amount, r.for_child, r.invoices) for r in a1.receipts] == [
		(families.a1_receipt, 500, 500, [families.a1_partly])
	]
	assert [(r.name, r.for_child) for r in a2.receipts] == [(families.a2_receipt, 600)]
	assert [i.name for i in a2.invoices] == [families.a2_paid]


def test_a_guest_is_sent_to_the_login_page(families):
	frappe.set_user("Guest")
	response, _html = render_fees()
	assert response.status_code == 302
	assert response.headers["Location"] == "/login?redirect-to=/fees"
	assert not frappe.local.flags.get("commit")
	frappe.set_user("Administrator")
	assert frappe.get_all("Fee Audit Log", filters={"action": "Portal View", "user": "Guest"}) == []
