// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.listview_settings["Credit Note"] = {
	add_fields: ["remaining_amount", "amount"],
	get_indicator(doc) {
		if (doc.docstatus === 2) return [__("Cancelled"), "red", "docstatus,=,2"];
		if (doc.docstatus === 0) return [__("Draft"), "gray", "docstatus,=,0"];
		if (doc.remaining_amount > 0) return [__("Open"), "orange", "remaining_amount,>,0"];
		return [__("Used"), "green", "remaining_amount,=,0"];
	},

	onload(listview) {
		if (!frappe.model.can_create("Credit Note")) return;
		listview.page.add_inner_button(__("Add Credit to Students"), () => pick_students_for_credit());
	},
};

// Bulk credit (seed: "select students ... and click Submit"): pick the students, then the credit
function pick_students_for_credit() {
	new frappe.ui.form.MultiSelectDialog({
		doctype: "Student",
		target: null,
		setters: { company: null, grade: null, class_section: null },
		add_filters_group: 1,
		get_query() {
			return { filters: { status: "Active" } };
		},
		action(students) {
			if (!students.length) {
				frappe.msgprint(__("Select at least one student."));
				return;
			}
			this.dialog.hide();
			school_fees.reports.add_credit(students, () => frappe.set_route("List", "Credit Note"));
		},
	});
}
