// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Class Section", {
	setup(frm) {
		frm.set_query("class_teacher", () => ({ filters: { enabled: 1, user_type: "System User" } }));
	},

	refresh(frm) {
		if (frm.is_new()) return;
		// Monthly statements of every active student of the section, emailed in one background job
		frm.add_custom_button(__("Send Statements"), () =>
			school_fees.form.ask_period(__("Send Statements"), __("Send"), (from_date, to_date) =>
				frappe
					.call("school_fees.statements.send_class_statements", { class_section: frm.doc.name, from_date, to_date })
					.then(({ message }) =>
						frappe.msgprint(__("{0} statements are being sent in the background.", [(message || {}).count || 0]))
					)
			)
		);
	},
});
