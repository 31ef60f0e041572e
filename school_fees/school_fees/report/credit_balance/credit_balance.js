// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// Credit Balance (seed 000's Credit Balance tab). Actions on the ticked students: Add Credit (one
// submitted Credit Note each, through school_fees.payments.credit.make_credit_notes; with no tick,
// pick the students first), Credit History and Refund Credit (one student).
(() => {
	const REPORT = "Credit Balance";
	const PROFILE = "school_fees.student_profile";
	const filter_value = (fieldname) => frappe.query_report.get_filter_value(fieldname);

	frappe.query_reports[REPORT] = {
		filters: [
			{
				fieldname: "company",
				label: __("School"),
				fieldtype: "Link",
				options: "Company",
				reqd: 1,
				default: frappe.defaults.get_user_default("Company"),
			},
			{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
			{
				fieldname: "to_date",
				label: __("To Date"),
				fieldtype: "Date",
				reqd: 1,
				default: frappe.datetime.get_today(),
			},
			{
				fieldname: "academic_term",
				label: __("Academic Term"),
				fieldtype: "Link",
				options: "Academic Term",
			},
			{ fieldname: "grade", label: __("Grade"), fieldtype: "Link", options: "Grade" },
			{
				fieldname: "class_section",
				label: __("Class Section"),
				fieldtype: "Link",
				options: "Class Section",
				get_query: () => ({ filters: { company: filter_value("company") } }),
			},
			{
				fieldname: "fee_group",
				label: __("Fee Group"),
				fieldtype: "Link",
				options: "Fee Group",
				get_query: () => ({ filters: { company: filter_value("company") } }),
			},
			{
				fieldname: "student_status",
				label: __("Student Status"),
				fieldtype: "Select",
				options: ["", "Active", "Inactive", "Withdrawn", "Graduated"],
			},
			{
				fieldname: "student",
				label: __("Student"),
				fieldtype: "Link",
				options: "Student",
				get_query: () => ({ filters: { company: filter_value("company") } }),
			},
		],

		get_datatable_options(options) {
			return Object.assign(options, { checkboxColumn: true });
		},

		onload(report) {
			if (frappe.model.can_create("Credit Note")) {
				report.page
					.add_inner_button(__("Add Credit"), () => add_credit(report))
					.addClass("btn-primary");
			}
			report.page.add_inner_button(__("Credit History"), () => {
				const row = one_student(report);
				if (row) show_history(row);
			});
			if (frappe.model.can_create("Payment Allocation")) {
				report.page.add_inner_button(__("Refund Credit"), () => {
					const row = one_student(report);
					if (row) refund(row);
				});
			}
		},
	};

	function ticked(report) {
		return report.get_checked_items().filter((row) => row.student);
	}

	function one_student(report) {
		const rows = ticked(report);
		if (rows.length !== 1) {
			frappe.msgprint(__("Tick one student."));
			return null;
		}
		return rows[0];
	}

	function add_credit(report) {
		const students = ticked(report).map((row) => row.student);
		if (students.length) {
			credit_dialog(report, students);
			return;
		}
		new frappe.ui.form.MultiSelectDialog({
			doctype: "Student",
			target: null,
			setters: { grade: null, class_section: null },
			add_filters_group: 1,
			get_query: () => ({ filters: { company: report.get_filter_value("company"), status: "Active" } }),
			action(selections) {
				if (!selections.length) {
					frappe.msgprint(__("Select at least one student."));
					return;
				}
				this.dialog.hide();
				credit_dialog(report, selections);
			},
		});
	}

	function credit_dialog(report, students) {
		const dialog = new frappe.ui.Dialog({
			title: __("Add Credit to {0} Students", [students.length]),
			fields: [
				{ fieldname: "amount", fieldtype: "Currency", label: __("Credit Amount"), reqd: 1 },
				{
					fieldname: "posting_date",
					fieldtype: "Date",
					label: __("Date"),
					reqd: 1,
					default: frappe.datetime.get_today(),
				},
				{
					fieldname: "reason_type",
					fieldtype: "Select",
					label: __("Reason Type"),
					options: "Concession\nScholarship\nCancelled Class\nWrite-off",
					default: "Concession",
					reqd: 1,
				},
				{
					fieldname: "approved_by",
					fieldtype: "Link",
					options: "User",
					label: __("Approved By"),
					get_query: () => ({ filters: { user_type: "System User", enabled: 1 } }),
				},
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
						show_outcome(
							__("Credit Notes"),
							__("{0} credit notes created.", [message.created.length]),
							message.failed
						);
						report.refresh();
					});
			},
		});
		dialog.show();
	}

	function show_outcome(title, done, failed) {
		const rows = (failed || [])
			.map(
				(row) =>
					`<li>${frappe.utils.escape_html(row.student)}: ${frappe.utils.escape_html(
						row.error
					)}</li>`
			)
			.join("");
		frappe.msgprint({
			title,
			indicator: rows ? "orange" : "green",
			message: done + (rows ? `<p>${__("Not done:")}</p><ul>${rows}</ul>` : ""),
		});
	}

	const MOVEMENTS = {
		issued: __("Issued"),
		transferred_from_deposit: __("Transferred from Deposit"),
		used: __("Used"),
		refunded: __("Refunded"),
	};

	function show_history(row) {
		frappe.xcall(`${PROFILE}.get_credit_history`, { student: row.student }).then((history) => {
			const link = (doctype, name) =>
				`<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(
					name
				)}">${frappe.utils.escape_html(name)}</a>`;
			const body = history
				.map(
					(move) => `<tr>
						<td>${frappe.datetime.str_to_user(move.posting_date)}</td>
						<td>${MOVEMENTS[move.movement] || move.movement}</td>
						<td>${link(move.voucher_type, move.voucher_no)}</td>
						<td>${link(move.source_doctype, move.source_name)}</td>
						<td class="text-right">${format_currency(move.amount, row.currency)}</td>
					</tr>`
				)
				.join("");
			show_table({
				title: __("Credit History of {0}", [frappe.utils.escape_html(row.student_name)]),
				html: history.length
					? `<table class="table table-bordered table-condensed">
						<thead><tr><th>${__("Date")}</th><th>${__("Movement")}</th><th>${__("Voucher")}</th>
						<th>${__("Credit")}</th><th class="text-right">${__("Amount")}</th></tr></thead>
						<tbody>${body}</tbody>
						<tfoot><tr><th colspan="4">${__("Credit Balance")}</th>
						<th class="text-right">${format_currency(row.credit_balance, row.currency)}</th></tr></tfoot>
					</table>`
					: __("No credit movements yet."),
			});
		});
	}

	function show_table({ title, html }) {
		const dialog = new frappe.ui.Dialog({
			title,
			size: "large",
			fields: [{ fieldname: "table", fieldtype: "HTML", options: html }],
		});
		dialog.show();
	}

	function refund(row) {
		frappe.xcall(`${PROFILE}.get_open_sources`, { student: row.student }).then((sources) => {
			const credits = sources.filter((source) => source.source_doctype !== "Deposit");
			if (!credits.length) {
				frappe.msgprint(
					__("{0} has no open credit to refund.", [frappe.utils.escape_html(row.student_name)])
				);
				return;
			}
			const open_refund = (source) =>
				frappe.db.get_value("Student", row.student, ["company", "customer"]).then(({ message }) =>
					frappe.new_doc("Payment Allocation", {
						allocation_type: "Refund",
						posting_date: frappe.datetime.get_today(),
						company: message.company,
						customer: message.customer,
						student: row.student,
						source_doctype: source.source_doctype,
						source_name: source.source_name,
						paid_amount: source.available,
					})
				);
			if (credits.length === 1) {
				open_refund(credits[0]);
				return;
			}
			const label = (source) =>
				`${source.source_name} (${format_currency(source.available, row.currency)})`;
			frappe.prompt(
				{
					fieldname: "source",
					fieldtype: "Select",
					label: __("Credit to refund"),
					options: credits.map(label),
					reqd: 1,
				},
				({ source }) => open_refund(credits.find((credit) => label(credit) === source)),
				__("Refund Credit")
			);
		});
	}
})();
