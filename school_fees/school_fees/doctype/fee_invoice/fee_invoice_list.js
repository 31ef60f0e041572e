// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.listview_settings["Fee Invoice"] = {
	add_fields: ["status", "outstanding_amount", "grand_total", "due_date", "currency"],
	has_indicator_for_draft: true,
	get_indicator(doc) {
		const colors = {
			Draft: "gray",
			Issued: "blue",
			"Partially Paid": "orange",
			Paid: "green",
			Overdue: "red",
			Cancelled: "darkgrey",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
