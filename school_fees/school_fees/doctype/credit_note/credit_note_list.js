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
			credit_dialog(students);
		},
	});
}

function credit_dialog(students) {
	const dialog = new frappe.ui.Dialog({
		title: __("Add Credit to {0} Students", [students.length]),
		fields: [
			{ fieldname: "amount", fieldtype: "Currency", label: __("Credit Amount"), reqd: 1 },
			{ fieldname: "posting_date", fieldtype: "Date", label: __("Date"), reqd: 1, default: frappe.datetime.get_today() },
			{
				fieldname: "reason_type",
				fieldtype: "Select",
				label: __("Reason Type"),
				options: "Concession\nScholarship\nCancelled Class\nWrite-off",
				default: "Concession",
				reqd: 1,
			},
			{ fieldname: "approved_by", fieldtype: "Link", options: "User", label: __("Approved By") },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
			{ fieldname: "notify_guardian", fieldtype: "Check", label: __("Email Guardian and Admin") },
		],
		primary_action_label: __("Submit"),
		primary_action(values) {
			frappe
				.call({
					method: "school_fees.payments.credit.make_credit_notes",
					type: "POST",
					args: { students, ...values },
					freeze: true,
				})
				.then(({ message }) => {
					dialog.hide();
					const failed = (message.failed || [])
						.map((row) => `<li>${frappe.utils.escape_html(row.student)}: ${frappe.utils.escape_html(row.error)}</li>`)
						.join("");
					frappe.msgprint({
						title: __("Credit Notes"),
						indicator: failed ? "orange" : "green",
						message:
							__("{0} credit notes created.", [message.created.length]) +
							(failed ? `<p>${__("Not credited:")}</p><ul>${failed}</ul>` : ""),
					});
					frappe.set_route("List", "Credit Note");
				});
		},
	});
	dialog.show();
}
