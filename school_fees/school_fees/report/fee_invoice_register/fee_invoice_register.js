// Copyright (c) 2026, school_fees contributors
// For license information, please see license.txt

(() => {
	const FEE_INVOICE_STATUSES = ["Draft", "Issued", "Partially Paid", "Paid", "Overdue", "Cancelled"];
	const FEE_INVOICE_STATUS_COLORS = {
		Draft: "gray",
		Issued: "blue",
		"Partially Paid": "orange",
		Paid: "green",
		Overdue: "red",
		Cancelled: "gray",
	};

	function school_filter(fieldname, label, options) {
		return {
			fieldname: fieldname,
			label: __(label),
			fieldtype: "Link",
			options: options,
			get_query: () => ({ filters: { company: frappe.query_report.get_filter_value("company") } }),
		};
	}

	frappe.query_reports["Fee Invoice Register"] = {
		filters: [
			school_fees.reports.company_filter(),
			{
				fieldname: "status",
				label: __("Status"),
				fieldtype: "MultiSelectList",
				options: FEE_INVOICE_STATUSES,
				get_data: () =>
					FEE_INVOICE_STATUSES.map((status) => ({
						value: status,
						label: __(status),
						description: "",
					})),
			},
			{ fieldname: "grade", label: __("Grade"), fieldtype: "Link", options: "Grade" },
			school_filter("class_section", "Class Section", "Class Section"),
			school_filter("fee_group", "Fee Group", "Fee Group"),
			{
				fieldname: "academic_term",
				label: __("Academic Term"),
				fieldtype: "Link",
				options: "Academic Term",
			},
			{ fieldname: "invoice_date_from", label: __("Invoice Date From"), fieldtype: "Date" },
			{ fieldname: "invoice_date_to", label: __("Invoice Date To"), fieldtype: "Date" },
			{ fieldname: "due_date_from", label: __("Due Date From"), fieldtype: "Date" },
			{ fieldname: "due_date_to", label: __("Due Date To"), fieldtype: "Date" },
			{
				fieldname: "has_outstanding",
				label: __("Has Outstanding"),
				fieldtype: "Select",
				options: ["", "Yes", "No"],
			},
			{
				fieldname: "student",
				label: __("Student (name or admission no)"),
				fieldtype: "Data",
			},
			{
				fieldname: "sort_by",
				label: __("Sort By"),
				fieldtype: "Select",
				options: ["Invoice Date", "Due Date", "Amount", "Outstanding"],
				default: "Invoice Date",
			},
			{
				fieldname: "sort_order",
				label: __("Sort Order"),
				fieldtype: "Select",
				options: ["Descending", "Ascending"],
				default: "Descending",
			},
		],

		formatter(value, row, column, data, default_formatter) {
			value = default_formatter(value, row, column, data);
			if (column.fieldname === "status" && data && data.status) {
				const color = FEE_INVOICE_STATUS_COLORS[data.status] || "gray";
				value = `<span class="indicator-pill ${color} filterable">${__(data.status)}</span>`;
			} else if (column.fieldname === "days_overdue" && data && data.days_overdue > 0) {
				value = `<span class="text-danger">${value}</span>`;
			}
			return value;
		},
	};
})();
