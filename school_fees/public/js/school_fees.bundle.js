// Desk helpers shared by the School Fees form scripts (app_include_js in hooks.py).

frappe.provide("school_fees.form");

Object.assign(school_fees.form, {
	// Student picked on a payment document: its billing customer, and its school when none is set.
	set_customer_from_student(frm) {
		if (!frm.doc.student) return;
		frappe.db.get_value("Student", frm.doc.student, ["customer", "company"]).then(({ message }) => {
			if (message) frm.set_value({ customer: message.customer, company: frm.doc.company || message.company });
		});
	},

	// Mode of payment picked: its default cash/bank account in the school, through ERPNext's own
	// whitelisted look-up (the "Mode of Payment Account" child table cannot be read from a form).
	set_paid_to_from_mode_of_payment(frm) {
		if (!frm.doc.mode_of_payment || !frm.doc.company) return;
		frappe
			.call({
				method: "erpnext.accounts.doctype.sales_invoice.sales_invoice.get_bank_cash_account",
				args: { mode_of_payment: frm.doc.mode_of_payment, company: frm.doc.company },
			})
			.then(({ message }) => message && message.account && frm.set_value("paid_to", message.account));
	},

	// A new Payment Allocation drawing on this credit or deposit, dated today; a refund or a move to
	// credit starts with everything the source still holds.
	use_source(frm, allocation_type) {
		const takes_amount = ["Refund", "Deposit to Credit"].includes(allocation_type);
		frappe.new_doc("Payment Allocation", {
			allocation_type,
			posting_date: frappe.datetime.get_today(),
			paid_amount: takes_amount ? frm.doc.remaining_amount : undefined,
			company: frm.doc.company,
			customer: frm.doc.customer,
			student: frm.doc.student,
			source_doctype: frm.doc.doctype,
			source_name: frm.doc.name,
		});
	},

	// A dialog asking for a reason of at least `min_length` characters (and, with `confirm_label`,
	// a tick); `on_reason(reason)` returns a promise, and the dialog closes when it resolves.
	ask_reason({ title, intro, description, confirm_label, primary_label, min_length = 10 }, on_reason) {
		const fields = [
			{ fieldtype: "HTML", options: `<p class="text-muted">${intro}</p>` },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1, description },
		];
		if (confirm_label) fields.push({ fieldname: "confirm", fieldtype: "Check", label: confirm_label, reqd: 1 });
		const dialog = new frappe.ui.Dialog({
			title,
			fields,
			primary_action_label: primary_label,
			primary_action({ reason, confirm }) {
				reason = (reason || "").trim();
				if (confirm_label && !confirm) {
					frappe.msgprint(__("Tick the confirmation first."));
					return;
				}
				if (reason.length < min_length) {
					frappe.msgprint(__("Give a reason of at least {0} characters.", [min_length]));
					return;
				}
				on_reason(reason).then(() => dialog.hide());
			},
		});
		dialog.show();
		return dialog;
	},

	// Ask a period (default: last month) and call `on_period(from_date, to_date)`.
	ask_period(title, primary_label, on_period) {
		const last_month_end = frappe.datetime.add_days(frappe.datetime.month_start(), -1);
		const last_month_start = `${last_month_end.slice(0, 8)}01`; // dates are YYYY-MM-DD
		frappe.prompt(
			[
				{ fieldname: "from_date", fieldtype: "Date", label: __("From"), reqd: 1, default: last_month_start },
				{ fieldname: "to_date", fieldtype: "Date", label: __("To"), reqd: 1, default: last_month_end },
			],
			({ from_date, to_date }) => on_period(from_date, to_date),
			title,
			primary_label
		);
	},
});

