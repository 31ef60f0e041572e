"""Bulk PDF export of Fee Invoices (school_fees.bulk.export_invoices_pdf): the merged PDF read back
with pypdf (a register page, then one page per short invoice, in the order selected), the register's
counts and totals, the private File, the refusal of a selection the user may not read whole, the
audit rows, and the background job above the threshold. The invoices are printed several to a
wkhtmltopdf run (school_fees.printing): every page must read as the invoice printed alone by
frappe.get_print, and a print with a PDF header or footer keeps a run of its own.

wkhtmltopdf loads Frappe's print stylesheet from the site's URL (frappe.utils.get_url), as it does
behind nginx in production; here the `site_assets` fixture serves the bench's /assets on 127.0.0.1
and points the site's host_name at it for the test."""

import io

import pytest
from factories import (
	ensure_company,
	make_class_section,
	make_fee_head,
	make_fee_invoice,
	make_income_account,
	make_payment_allocation,
	make_student,
	make_user,
)
from pypdf import PdfReader

import frappe
from frappe.utils import fmt_money

from school_fees import bulk, printing
from school_fees.bulk import (
	BulkExportNotPermittedError,
	BulkExportSelectionError,
	export_invoices_pdf,
	run_bulk_export,
)
from school_fees.school_fees.doctype.fee_invoice.fee_invoice import cancel_fee_invoice

POSTING, DUE = "2028-06-01", "2028-12-31"
REQUEST_IP = "10.20.30.40"


@pytest.fixture
def site_assets(site_assets, monkeypatch):
	"""conftest's assets server, and the export asked from a known IP."""
	monkeypatch.setattr(frappe.local, "request_ip", REQUEST_IP, raising=False)
	return site_assets


@pytest.fixture
def lab(company):
	return make_fee_head(company=company, income_account=make_income_account(company)).name


def issue(company, head, amount):
	return make_fee_invoice(company, items=[(head, amount)], posting_date=POSTING, due_date=DUE, submit=True)


def three_statuses(company, head) -> list[str]:
	"""An Issued (1,200), a Partially Paid (1,500, 500 received) and a Cancelled (800) invoice."""
	issued = issue(company, head, 1200)
	partly = issue(company, head, 1500)
	make_payment_allocation(
		company, partly.customer, paid_amount=500, posting_date=POSTING, allocations=[(partly.name, 500)]
	)
	cancelled = issue(company, head, 800)
	cancel_fee_invoice(cancelled.name, "Billed to the wrong student")
	statuses = [
		frappe.db.get_value("Fee Invoice", n, "status") for n in (issued.name, partly.name, cancelled.name)
	]
	assert statuses == ["Issued", "Partially Paid", "Cancelled"]
	return [partly.name, cancelled.name, issued.name]


def read_pdf(file_url: str) -> tuple[frappe._dict, PdfReader]:
	file = frappe.get_doc("File", {"file_url": file_url})
	return file, PdfReader(io.BytesIO(file.get_content()))


def money(amount) -> str:
	return fmt_money(amount, currency=frappe.get_cached_value("Company", "_Test School", "default_currency"))


def exported_rows(name: str) -> list[frappe._dict]:
	return frappe.get_all(
		"Fee Audit Log",
		filters={"reference_doctype": "Fee Invoice", "reference_name": name, "action": "Exported"},
		fields=["user", "ip_address", "reason", "timestamp", "from_status", "to_status"],
	)


def allow_print_for_cancelled(allow: bool) -> None:
	frappe.db.set_single_value("Print Settings", "allow_print_for_cancelled", int(allow))


def printed_alone(name: str, print_format: str | None = None) -> list[tuple[str, list]]:
	"""Each page of the invoice printed on its own by Frappe (one wkhtmltopdf run): text and size."""
	pdf = PdfReader(io.BytesIO(frappe.get_print("Fee Invoice", name, print_format, as_pdf=True)))
	return [(page.extract_text(), list(page.mediabox)) for page in pdf.pages]


def exported_pages(names: list[str], print_format: str | None = None) -> list[tuple[str, list]]:
	"""Each page after the register of the exported file: text and size."""
	_file, pdf = read_pdf(export_invoices_pdf(names, print_format=print_format)["file_url"])
	return [(page.extract_text(), list(page.mediabox)) for page in pdf.pages[1:]]


def runs(names: list[str], print_format: str | None = None) -> list[list[str]]:
	return [
		[document.name for document in run] for run in printing.print_runs("Fee Invoice", names, print_format)
	]


def test_export_is_a_register_then_one_page_per_invoice(company, lab, site_assets):
	names = three_statuses(company, lab)
	allow_print_for_cancelled(True)
	manager = make_user("Fees Manager")

	frappe.set_user(manager)
	result = export_invoices_pdf(frappe.as_json(names))
	frappe.set_user("Administrator")

	assert list(result) == ["file_url"] and result["file_url"].startswith("/private/files/")
	file, pdf = read_pdf(result["file_url"])
	assert (file.is_private, file.owner) == (1, manager)
	assert file.file_name.endswith("-3.pdf")
	assert len(pdf.pages) == 1 + len(names)  # each short invoice prints on one page

	register = " ".join(pdf.pages[0].extract_text().split())
	assert "Fee Invoice Export" in register and "3 invoices" in register and company in register
	# per status: count, billed, collected, outstanding
	assert f"Issued 1 {money(1200)} {money(0)} {money(1200)}" in register
	assert f"Partially Paid 1 {money(1500)} {money(500)} {money(1000)}" in register
	assert f"Cancelled 1 {money(800)} {money(0)} {money(0)}" in register
	# issued total (drafts and cancelled left out), then the whole selection
	assert f"Total issued 2 {money(2700)} {money(500)} {money(2200)}" in register
	assert "All selected 3" in register

	# then each invoice, in the order selected, as its print format shows it
	for page, name in zip(pdf.pages[1:], names, strict=True):
		text = page.extract_text()
		assert name in text and not any(other in text for other in names if other != name)
	assert "Cancelled" in pdf.pages[2].extract_text()

	# the export is audited on every invoice: who, from where, how many, which file
	for name in names:
		[row] = exported_rows(name)
		assert (row.user, row.ip_address) == (manager, REQUEST_IP)
		assert (row.from_status, row.to_status) == (None, None)
		assert "3 invoices" in row.reason and file.file_name in row.reason


def test_invoices_print_settings_refuse_are_listed_on_the_register_not_printed(company, lab, site_assets):
	partly, cancelled, issued = three_statuses(company, lab)
	allow_print_for_cancelled(False)  # Frappe's default

	file, pdf = read_pdf(export_invoices_pdf([partly, cancelled, issued])["file_url"])

	assert len(pdf.pages) == 3 and file.file_name.endswith("-2.pdf")
	register = " ".join(pdf.pages[0].extract_text().split())
	assert "3 invoices, 2 printed in this file" in register
	assert f"Not printed {cancelled}: Print Settings do not allow printing cancelled documents" in register
	assert f"Cancelled 1 {money(800)}" in register  # still counted on the register
	assert [partly in pdf.pages[1].extract_text(), issued in pdf.pages[2].extract_text()] == [True, True]
	assert exported_rows(cancelled) == []
	assert ["2 invoices" in row.reason for name in (partly, issued) for row in exported_rows(name)] == [
		True
	] * 2


def test_a_user_who_may_not_read_one_invoice_is_refused_and_nothing_is_exported(company, lab, site_assets):
	other_school = ensure_company("_Test School B", "_TSB")
	theirs = make_fee_invoice(
		other_school,
		items=[(make_fee_head(company=other_school).name, 500)],
		posting_date=POSTING,
		due_date=DUE,
		submit=True,
	)
	mine = issue(company, lab, 900)
	principal = make_user("Principal")
	frappe.get_doc(
		{"doctype": "User Permission", "user": principal, "allow": "Company", "for_value": company}
	).insert(ignore_permissions=True)
	files_before = frappe.db.count("File", {"owner": principal})

	frappe.set_user(principal)
	with pytest.raises(BulkExportNotPermittedError, match=theirs.name) as refused:
		export_invoices_pdf([mine.name, theirs.name])
	assert mine.name not in str(refused.value)
	# the same user may export the invoice of their own school
	assert export_invoices_pdf([mine.name])["file_url"]
	frappe.set_user("Administrator")

	assert frappe.db.count("File", {"owner": principal}) == files_before + 1
	assert exported_rows(theirs.name) == []
	[row] = exported_rows(mine.name)
	assert row.user == principal and "1 invoices" in row.reason


def test_a_class_teacher_may_export_only_their_sections(company, lab, site_assets):
	teacher = make_user("Class Teacher")
	section = make_class_section(company, class_teacher=teacher)
	theirs = make_fee_invoice(
		company,
		student=make_student(company, class_section=section.name).name,
		items=[(lab, 400)],
		posting_date=POSTING,
		due_date=DUE,
		submit=True,
	)
	elsewhere = issue(company, lab, 600)

	frappe.set_user(teacher)
	with pytest.raises(BulkExportNotPermittedError, match=elsewhere.name):
		export_invoices_pdf([theirs.name, elsewhere.name])
	_file, pdf = read_pdf(export_invoices_pdf([theirs.name])["file_url"])
	frappe.set_user("Administrator")
	assert len(pdf.pages) == 2 and theirs.name in pdf.pages[1].extract_text()


def test_the_selection_and_print_format_are_checked(company, lab):
	invoice = issue(company, lab, 300)
	with pytest.raises(BulkExportSelectionError, match="Select at least one"):
		export_invoices_pdf("[]")
	with pytest.raises(BulkExportSelectionError, match="does not exist"):
		export_invoices_pdf([invoice.name, "FINV-NO-SUCH-1"])
	with pytest.raises(BulkExportSelectionError, match="not a print format of Fee Invoice"):
		export_invoices_pdf([invoice.name], print_format="Fee Receipt")
	assert exported_rows(invoice.name) == []


def test_above_the_threshold_a_job_exports_with_progress_and_leaves_the_link(
	company, lab, site_assets, monkeypatch
):
	first, second = issue(company, lab, 700), issue(company, lab, 900)
	manager = make_user("Fees Manager")
	monkeypatch.setattr(bulk, "BACKGROUND_THRESHOLD", 1)
	queued = []
	monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: queued.append((method, kwargs)))

	frappe.set_user(manager)
	answer = export_invoices_pdf([first.name, second.name], print_format="Fee Invoice")
	assert answer["queued"] is True and answer["count"] == 2
	assert exported_rows(first.name) == []  # nothing done in the request
	[(method, kwargs)] = queued
	assert (method, kwargs["queue"], kwargs["job_id"]) == (bulk.EXPORT_JOB_METHOD, "long", answer["job_id"])
	assert kwargs["names"] == [first.name, second.name] and kwargs["print_format"] == "Fee Invoice"
	assert kwargs["ip_address"] == REQUEST_IP

	# the job, as the worker runs it (as the same user, without a request): commits are counted, not
	# made, so the test's data is still rolled back
	commits, progress = [], []
	monkeypatch.setattr(frappe.db, "commit", lambda *a, **k: commits.append(1))
	monkeypatch.setattr(frappe, "publish_progress", lambda percent, **k: progress.append(percent))
	monkeypatch.setattr(frappe.local, "request_ip", None)
	result = run_bulk_export(kwargs["names"], kwargs["print_format"], kwargs["ip_address"])
	frappe.set_user("Administrator")

	assert progress == [50, 100] and len(commits) == 1
	file, pdf = read_pdf(result["file_url"])
	assert len(pdf.pages) == 3 and file.is_private
	[note] = frappe.get_all(
		"Notification Log",
		filters={"for_user": manager, "subject": ("like", "PDF export of%")},
		fields=["subject", "link", "email_content", "document_type", "document_name"],
	)
	assert note.subject == "PDF export of 2 Fee Invoices is ready"
	assert note.link == file.unique_url and file.file_url in note.email_content
	assert (note.document_type, note.document_name) == ("File", file.name)
	for invoice in (first, second):
		[row] = exported_rows(invoice.name)
		assert (row.user, row.ip_address) == (manager, REQUEST_IP)  # the requester's IP, kept for the job


def test_the_job_refuses_a_user_who_lost_access(company, lab):
	invoice = issue(company, lab, 300)
	frappe.set_user(make_user("Website Manager"))
	with pytest.raises(BulkExportNotPermittedError):
		run_bulk_export([invoice.name])
	frappe.set_user("Administrator")
	assert exported_rows(invoice.name) == []


def test_invoices_printed_in_one_run_read_exactly_as_each_printed_alone(company, lab, site_assets):
	long_one = make_fee_invoice(
		company,
		items=[(lab, 100 + row) for row in range(45)],
		posting_date=POSTING,
		due_date=DUE,
		submit=True,
	)
	names = [issue(company, lab, 1200).name, long_one.name, issue(company, lab, 700).name]
	alone = [printed_alone(name) for name in names]
	assert [len(pages) for pages in alone] == [1, 2, 1]  # the long invoice runs onto a second page

	assert runs(names) == [names]  # one wkhtmltopdf run for the three
	assert exported_pages(names) == [page for pages in alone for page in pages]


def test_runs_hold_at_most_documents_per_run(company, lab, monkeypatch):
	names = [issue(company, lab, 100 * n).name for n in (1, 2, 3)]
	monkeypatch.setattr(printing, "DOCUMENTS_PER_RUN", 2)
	assert runs(names) == [names[:2], names[2:]]


def test_a_print_with_a_pdf_header_or_footer_has_a_run_of_its_own(company, lab, site_assets):
	names = [issue(company, lab, 100 * n).name for n in (4, 5, 6)]
	frappe.db.set_single_value("Print Settings", "repeat_header_footer", 0)
	assert runs(names, "Standard") == [names]

	# Frappe's default: the Standard format's header and "Page x of y" footer go to wkhtmltopdf, which
	# repeats them on every page of a run with the run's page numbers
	frappe.db.set_single_value("Print Settings", "repeat_header_footer", 1)
	assert runs(names, "Standard") == [[name] for name in names]
	assert exported_pages(names, "Standard") == [
		page for name in names for page in printed_alone(name, "Standard")
	]


def test_a_print_styled_unlike_the_run_starts_a_new_run(company, lab):
	"""A print format whose CSS depends on the invoice: no invoice's CSS may reach another one."""
	print_format = frappe.get_doc(
		{
			"doctype": "Print Format",
			"name": f"_Test Styled {frappe.generate_hash(length=6)}",
			"doc_type": "Fee Invoice",
			"standard": "No",
			"custom_format": 1,
			"print_format_type": "Jinja",
			"html": "<style>.total { color: {{ 'red' if doc.grand_total > 500 else 'blue' }} }</style>"
			"<p class='total'>{{ doc.grand_total }}</p>",
		}
	).insert(ignore_permissions=True)
	names = [issue(company, lab, amount).name for amount in (100, 200, 900, 300)]

	assert runs(names, print_format.name) == [names[:2], names[2:3], names[3:]]
