"""What a Fees Manager opens, prints, downloads and exports in the desk is in the Fee Audit Log with
who, when and from which IP (the suite's server answers on 127.0.0.1), and the invoice's audit trail
on the form shows it."""

from urllib.parse import urlencode

from desk_session import expect

LOOPBACK = "127.0.0.1"
REPORT = "Fee Invoice Register"


def reads(db, user: str, doctype: str, name: str) -> list[tuple]:
	return [
		(row.action, row.ip_address, row.company)
		for row in db.get_all(
			"Fee Audit Log",
			filters={"reference_doctype": doctype, "reference_name": name, "user": user},
			fields=["action", "ip_address", "company"],
			order_by="creation asc",
		)
	]


def test_views_prints_pdfs_and_report_exports_are_audited_with_ip(desk, ui_data, db, shot):
	manager = desk(ui_data.manager)
	invoice = ui_data.new_invoice
	school = ui_data.company

	manager.open_form("Fee Invoice", invoice)
	assert reads(db, ui_data.manager, "Fee Invoice", invoice) == [("Viewed", LOOPBACK, school)]

	# the form's Print opens /printview; its PDF button asks download_pdf
	query = urlencode({"doctype": "Fee Invoice", "name": invoice, "format": "Fee Invoice"})
	manager.page.goto(f"{manager.base_url}/printview?{query}")
	expect(manager.page.locator("body")).to_contain_text(invoice)
	shot(manager, "1-printview")
	pdf = manager.page.request.get(
		f"{manager.base_url}/api/method/frappe.utils.print_format.download_pdf?{query}", timeout=120_000
	)
	assert pdf.ok and pdf.body().startswith(b"%PDF")
	assert reads(db, ui_data.manager, "Fee Invoice", invoice) == [
		("Viewed", LOOPBACK, school),
		("Printed", LOOPBACK, school),
		("Printed", LOOPBACK, school),
	]

	# the audit trail on the invoice form lists them
	manager.open_form("Fee Invoice", invoice)
	history = manager.page.locator(".frappe-control[data-fieldname='history_html']")
	expect(history).to_contain_text("Printed")
	expect(history).to_contain_text(LOOPBACK)
	history.locator("h5", has_text="Audit Trail").scroll_into_view_if_needed()
	shot(manager, "2-audit-trail")

	# a report exported from its Export dialog (Frappe's query report, as CSV)
	manager.goto(f"/app/query-report/{REPORT}?company={school}")
	manager.page.wait_for_function("() => frappe.query_report && frappe.query_report.data")
	manager.page.evaluate("() => frappe.query_report.export_report()")
	dialog = manager.dialog()
	dialog.locator("select[data-fieldname='file_format']").select_option("CSV")
	with manager.page.expect_download() as download:
		manager.dialog_button("Download").click()
	assert download.value.suggested_filename.endswith(".csv")
	shot(manager, "3-exported")
	assert reads(db, ui_data.manager, "Report", REPORT) == [("Exported", LOOPBACK, school)]
	manager.assert_clean("viewing, printing and exporting")
