// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Student", {
	setup(frm) {
		frm.set_query("class_section", () => ({ filters: { company: frm.doc.company } }));
		frm.set_query("fee_group", "fee_groups", () => ({
			filters: { company: frm.doc.company, disabled: 0 },
		}));
		frm.set_query("fee_discount", "discounts", () => ({
			filters: { company: ["in", [frm.doc.company, ""]], disabled: 0 },
		}));
	},

	refresh(frm) {
		if (frm.is_new() && !frm.doc.customer) {
			frm.set_intro(
				__("A customer (billing account) is created on save. Siblings can pick an existing one."),
				"blue"
			);
		}
	},

	company(frm) {
		if (frm.doc.class_section) {
			frm.set_value("class_section", "");
		}
	},

	status(frm) {
		if (["Withdrawn", "Graduated"].includes(frm.doc.status) && !frm.doc.leaving_date) {
			frm.set_value("leaving_date", frappe.datetime.get_today());
		}
	},
});
