// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Credit Note", {
	setup(frm) {
		frm.set_query("student", () => ({ filters: { company: frm.doc.company || undefined } }));
		frm.set_query("approved_by", () => ({ filters: { user_type: "System User", enabled: 1 } }));
	},

	refresh(frm) {
		if (frm.doc.docstatus === 1 && frm.doc.remaining_amount > 0) {
			frm.add_custom_button(__("Apply to Invoices"), () => school_fees.payments.use_source(frm, "Apply Credit"), __("Create"));
			frm.add_custom_button(__("Refund"), () => school_fees.payments.use_source(frm, "Refund"), __("Create"));
		}
		if (frm.doc.docstatus === 1) {
			frm.add_custom_button(__("Allocations"), () =>
				frappe.set_route("List", "Payment Allocation", { source_doctype: frm.doc.doctype, source_name: frm.doc.name })
			, __("View"));
		}
	},

	student(frm) {
		if (!frm.doc.student) return;
		frappe.db.get_value("Student", frm.doc.student, ["customer", "company"]).then(({ message }) => {
			if (message) frm.set_value({ customer: message.customer, company: frm.doc.company || message.company });
		});
	},
});

frappe.provide("school_fees.payments");

school_fees.payments.use_source = function (frm, allocation_type) {
	frappe.new_doc("Payment Allocation", {
		allocation_type,
		company: frm.doc.company,
		customer: frm.doc.customer,
		student: frm.doc.student,
		source_doctype: frm.doc.doctype,
		source_name: frm.doc.name,
	});
};
