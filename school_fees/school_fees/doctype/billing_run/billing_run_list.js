// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

frappe.listview_settings["Billing Run"] = {
	add_fields: ["status", "created_count", "total_amount", "failed_count"],
	has_indicator_for_draft: true,
	get_indicator(doc) {
		const colors = {
			Draft: "gray",
			Queued: "yellow",
			Processing: "blue",
			Completed: "green",
			"Partially Completed": "orange",
			Failed: "red",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
