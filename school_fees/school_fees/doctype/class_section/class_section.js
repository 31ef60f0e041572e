// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.ui.form.on("Class Section", {
	setup(frm) {
		frm.set_query("class_teacher", () => ({ filters: { enabled: 1, user_type: "System User" } }));
	},
});
