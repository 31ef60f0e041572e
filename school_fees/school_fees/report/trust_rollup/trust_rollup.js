// Copyright (c) 2026, school_fees developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Trust Rollup"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Trust or School"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{
			fieldname: "academic_term",
			label: __("Academic Term"),
			fieldtype: "Link",
			options: "Academic Term",
			on_change: function (report) {
				const term = report.get_filter_value("academic_term");
				if (!term) {
					report.refresh();
					return;
				}
				frappe.db.get_value("Academic Term", term, ["start_date", "end_date"]).then(({ message }) => {
					const dates = { from_date: message.start_date, to_date: message.end_date };
					const unchanged = Object.keys(dates).every(
						(fieldname) => report.get_filter_value(fieldname) === dates[fieldname]
					);
					// the window follows the term; set_filter_value refreshes once for both dates
					unchanged ? report.refresh() : report.set_filter_value(dates);
				});
			},
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			description: __("Blank: every invoice up to To Date"),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		},
	],
	get_datatable_options(options) {
		// the trust's collection rate is collected / billed of all its schools, not their average
		// (the desk also calls this with {} to look for a checkbox column)
		if (!options.hooks) return options;
		const column_total = options.hooks.columnTotal;
		options.hooks.columnTotal = function (values, column, type) {
			if (column.column.fieldname !== "collection_rate") {
				return column_total(values, column, type);
			}
			const rows = (frappe.query_report.data || []).filter((row) => !Array.isArray(row));
			const sum = (fieldname) => rows.reduce((total, row) => total + flt(row[fieldname]), 0);
			const billed = sum("billed");
			return billed ? flt((sum("collected") * 100) / billed, 2) : 0;
		};
		return options;
	},
};
