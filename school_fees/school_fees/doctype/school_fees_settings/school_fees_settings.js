// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

const SCHOOL_FEES_ACCOUNT_FILTERS = {
	receivable_account: { account_type: "Receivable" },
	income_account: { root_type: "Income" },
	deposit_account: { root_type: "Liability", account_type: ["not in", ["Receivable", "Payable"]] },
	discount_account: { report_type: "Profit and Loss" },
	concession_account: { report_type: "Profit and Loss" },
	scholarship_account: { report_type: "Profit and Loss" },
	cancelled_class_account: { report_type: "Profit and Loss" },
	write_off_account: { report_type: "Profit and Loss" },
};

frappe.ui.form.on("School Fees Settings", {
	setup(frm) {
		Object.entries(SCHOOL_FEES_ACCOUNT_FILTERS).forEach(([fieldname, filters]) => {
			frm.set_query(fieldname, "company_settings", (doc, cdt, cdn) => {
				const row = locals[cdt][cdn];
				return { filters: { ...filters, company: row.company, is_group: 0, disabled: 0 } };
			});
		});
		frm.set_query("cost_center", "company_settings", (doc, cdt, cdn) => {
			const row = locals[cdt][cdn];
			return { filters: { company: row.company, is_group: 0, disabled: 0 } };
		});
	},

	refresh(frm) {
		// the standard schedule (school_fees.reminders.DEFAULT_STAGES) as rows to adjust
		if (!(frm.doc.reminder_stages || []).length) {
			frm.add_custom_button(__("Add Standard Reminder Stages"), () => {
				[
					["Before Due Date", 3],
					["On Due Date", 0],
					["After Due Date", 7],
					["After Due Date", 14],
					["After Due Date", 30],
				].forEach(([timing, days]) =>
					frm.add_child("reminder_stages", { timing, days, email: 1, sms: 1 })
				);
				frm.refresh_field("reminder_stages");
				frm.dirty();
			});
		}
	},
});
