// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// Student Balances (seed 000): tick a student and Create Invoice opens a new one-off Fee Invoice for
// them; tick several and it opens a Billing Run for exactly those students. A student's name opens
// their billing profile (the Student form).
(() => {
	frappe.query_reports["Student Balances"] = {
		filters: school_fees.reports.student_filters({ section_of_grade: true }),

		get_datatable_options(options) {
			return Object.assign(options, { checkboxColumn: true });
		},

		onload(report) {
			if (frappe.model.can_create("Fee Invoice")) {
				report.page
					.add_inner_button(__("Create Invoice"), () => create_invoice(report))
					.addClass("btn-primary");
			}
		},
	};

	function create_invoice(report) {
		const company = report.get_filter_value("company");
		const students = school_fees.reports.ticked(report);
		if (students.length > 1) {
			bill_in_a_run(company, students);
			return;
		}
		if (!students.length) {
			frappe.new_doc("Fee Invoice", { company });
			return;
		}
		frappe.db
			.get_value("Student", students[0].student, ["customer", "grade", "class_section"])
			.then(({ message }) =>
				frappe.new_doc("Fee Invoice", {
					company,
					student: students[0].student,
					customer: message.customer,
					grade: message.grade,
					class_section: message.class_section,
					currency: students[0].currency,
					posting_date: frappe.datetime.get_today(),
					due_date: frappe.datetime.get_today(),
				})
			);
	}

	// Several students: a Billing Run of the Manual scope with them (it previews before billing)
	function bill_in_a_run(company, students) {
		frappe.model.with_doctype("Billing Run", () => {
			const run = frappe.model.get_new_doc("Billing Run");
			Object.assign(run, { company, scope: "Manual", posting_date: frappe.datetime.get_today() });
			students.forEach((row) => {
				const child = frappe.model.add_child(run, "students");
				Object.assign(child, { student: row.student, student_name: row.student_name });
			});
			frappe.set_route("Form", "Billing Run", run.name);
		});
	}
})();
