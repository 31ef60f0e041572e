app_name = "school_fees"
app_title = "School Fees"
app_publisher = "school_fees developers"
app_description = (
	"Student-fee sub-ledger for ERPNext: structures, billing runs, invoices, payments, credits, deposits"
)
app_email = "dev@school-fees.invalid"
app_license = "gpl-3.0"

# org/repo form: Frappe resolves a bare "erpnext" through the GitHub API, which fails offline
required_apps = ["frappe/erpnext"]

export_python_type_annotations = True

# Install / uninstall
# -------------------
before_install = "school_fees.setup.install.before_install"
after_install = "school_fees.setup.install.after_install"
after_migrate = "school_fees.setup.install.after_migrate"
before_uninstall = "school_fees.setup.install.before_uninstall"

# The vouchers this app posts to the general ledger
# --------------------------------------------------
SCHOOL_FEES_VOUCHERS = ["Fee Invoice", "Payment Allocation", "Credit Note", "Deposit"]

accounting_dimension_doctypes = SCHOOL_FEES_VOUCHERS
period_closing_doctypes = SCHOOL_FEES_VOUCHERS
invoice_doctypes = ["Fee Invoice", "Credit Note"]
bank_reconciliation_doctypes = ["Payment Allocation", "Deposit"]
repost_allowed_doctypes = SCHOOL_FEES_VOUCHERS
get_matching_queries = "school_fees.integrations.bank_reconciliation.get_matching_queries"

doc_events = {
	tuple(SCHOOL_FEES_VOUCHERS): {
		"validate": "erpnext.accounts.doctype.accounting_period.accounting_period.validate_accounting_period_on_doc_save",
	},
	"Company": {
		# on_update, not after_insert: ERPNext builds the chart of accounts in Company.on_update,
		# which runs after after_insert. setup_company is idempotent and cheap on later saves.
		"on_update": "school_fees.setup.install.setup_company",
	},
	"Payment Ledger Entry": {
		"on_submit": "school_fees.ledger.writeback.on_payment_ledger_entry_change",
		"on_cancel": "school_fees.ledger.writeback.on_payment_ledger_entry_change",
	},
	"Student": {
		# fee group added -> Draft invoices; group/class/discount change or withdrawal -> drafts recalculated
		"on_update": "school_fees.invoicing.student_sync.on_student_update",
	},
	"Fee Invoice": {
		# School Fees Settings.auto_apply_credit: open credit pays the next invoice issued (its Apply
		# Credit series is locked before the invoice's ledger rows, see payments/credit.py)
		"before_submit": "school_fees.payments.credit.lock_credit_series",
		"on_submit": "school_fees.payments.credit.auto_apply_credit",
	},
	# An ERPNext advance the app applied to fee invoices must not be allocated again by ERPNext's
	# own tools (Payment Reconciliation, Sales Invoice advances): they re-save the voucher
	"Payment Entry": {
		"before_update_after_submit": "school_fees.integrations.advances.guard_payment_entry_advance",
	},
	"Journal Entry": {
		"before_update_after_submit": "school_fees.integrations.advances.guard_journal_entry_advance",
	},
	# ... and the Payment Reconciliation tool must not list what the app used up
	"Payment Reconciliation": {
		"get_unreconciled_entries": "school_fees.integrations.advances.hide_applied_advances",
		"reconcile": "school_fees.integrations.advances.hide_applied_advances",
	},
	# a fee voucher's form opened (Frappe's view tracking): recorded with the IP in the Fee Audit Log
	"View Log": {"after_insert": "school_fees.access_audit.on_view_log"},
}

# prints, PDFs and exports of fee documents and reports: recorded once the request succeeded
after_request = ["school_fees.access_audit.after_request"]

# The audit trail outlives the documents it describes: deleting a Draft invoice keeps its log rows
ignore_links_on_delete = ["Fee Audit Log"]

# Scheduled tasks
# ---------------
scheduler_events = {
	"daily": [
		"school_fees.invoicing.jobs.issue_due_invoices",
		"school_fees.invoicing.jobs.mark_overdue_invoices",
		"school_fees.invoicing.jobs.apply_late_fees",
		"school_fees.reminders.send_due_reminders",
	],
}

# Permissions: class teachers see only their own sections
# --------------------------------------------------------
permission_query_conditions = {
	"Fee Invoice": "school_fees.permissions.class_teacher_query",
	"Student": "school_fees.permissions.class_teacher_query",
	"Payment Allocation": "school_fees.permissions.class_teacher_query",
	"Credit Note": "school_fees.permissions.class_teacher_query",
	"Deposit": "school_fees.permissions.class_teacher_query",
	# child tables read on their own: only rows of parents the user may list
	"Payment Allocation Item": "school_fees.permissions.child_rows_query",
	"Fee Invoice Item": "school_fees.permissions.child_rows_query",
	"Fee Invoice Discount": "school_fees.permissions.child_rows_query",
	"Student Fee Group": "school_fees.permissions.child_rows_query",
	"Student Fee Discount": "school_fees.permissions.child_rows_query",
}
has_permission = {
	"Fee Invoice": "school_fees.permissions.class_teacher_has_permission",
	"Student": "school_fees.permissions.class_teacher_has_permission",
	"Payment Allocation": "school_fees.permissions.class_teacher_has_permission",
	"Credit Note": "school_fees.permissions.class_teacher_has_permission",
	"Deposit": "school_fees.permissions.class_teacher_has_permission",
}

# Parent portal: a guardian (a portal user of the family's Customer) sees the family's submitted
# documents only; Frappe asks these for a website user's prints and PDFs too
has_website_permission = {
	"Fee Invoice": "school_fees.portal.fee_invoice_website_permission",
	"Payment Allocation": "school_fees.portal.payment_allocation_website_permission",
	"Credit Note": "school_fees.portal.credit_note_website_permission",
	"Deposit": "school_fees.portal.deposit_website_permission",
	"Student": "school_fees.portal.student_website_permission",
}

# Desk assets
# -----------
# shared form helpers (school_fees.form.*), built by `bench build` from public/js
app_include_js = "school_fees.bundle.js"
doctype_list_js = {"Bank Transaction": "public/js/bank_transaction_list.js"}
# "Invite Guardian" on the Student (parent portal), next to the Student form's own student.js
doctype_js = {"Student": "public/js/student_portal.js"}

# Guardians find their children's fees from the portal menu (/me) after logging in
standard_portal_menu_items = [{"title": "School Fees", "route": "/fees", "role": "Customer"}]
