// Copyright (c) 2026, school_fees contributors
// For license information, please see license.txt

frappe.query_reports["Fee Aging"] = {
	filters: [
		school_fees.reports.company_filter(),
		{
			fieldname: "as_of_date",
			label: __("As of Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		...school_fees.reports.scope_filters(),
		{ fieldname: "student", label: __("Student (name or admission no)"), fieldtype: "Data" },
		{ fieldname: "overdue_only", label: __("Overdue Only"), fieldtype: "Check" },
	],

	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "age_90_above" && data && data.age_90_above > 0) {
			value = `<span class="text-danger">${value}</span>`;
		} else if (column.fieldname === "guardian_phone" && data && data.guardian_phone) {
			const phone = encodeURIComponent(data.guardian_phone);
			value = `<a href="tel:${phone}">${frappe.utils.escape_html(data.guardian_phone)}</a>`;
		}
		return value;
	},
};
