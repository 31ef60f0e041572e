// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Credit Note", {
	setup(frm) {
		frm.set_query("student", () => ({ filters: { company: frm.doc.company || undefined } }));
		frm.set_query("approved_by", () => ({ filters: { user_type: "System User", enabled: 1 } }));
	},

	refresh(frm) {
		// applying or refunding credit is a manager's (school_fees.form.may_allocate)
		if (frm.doc.docstatus === 1 && frm.doc.remaining_amount > 0 && school_fees.form.may_allocate("Refund")) {
			frm.add_custom_button(__("Apply to Invoices"), () => school_fees.form.use_source(frm, "Apply Credit"), __("Create"));
			frm.add_custom_button(__("Refund"), () => school_fees.form.use_source(frm, "Refund"), __("Create"));
		}
		if (frm.doc.docstatus === 1) {
			frm.add_custom_button(__("Allocations"), () =>
				frappe.set_route("List", "Payment Allocation", { source_doctype: frm.doc.doctype, source_name: frm.doc.name })
			, __("View"));
		}
	},

	student: (frm) => school_fees.form.set_customer_from_student(frm),
});
