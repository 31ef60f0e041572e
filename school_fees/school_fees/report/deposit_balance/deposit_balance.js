// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

// Deposit Balance (seed 000's Deposits tab). Actions on the ticked students: Add Deposit (one
// submitted Deposit each, through this report's make_deposits; with no tick, pick the students
// first), Deposit History and Refund Deposit (one student).
(() => {
	const REPORT = "Deposit Balance";
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
			if (frappe.model.can_create("Deposit")) {
				report.page
					.add_inner_button(__("Add Deposit"), () => add_deposit(report))
					.addClass("btn-primary");
			}
			report.page.add_inner_button(__("Deposit History"), () => {
				const row = one_student(report);
				if (row) show_history(row);
			});
			if (frappe.model.can_create("Payment Allocation")) {
				report.page.add_inner_button(__("Refund Deposit"), () => {
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

	function add_deposit(report) {
		const students = ticked(report).map((row) => row.student);
		if (students.length) {
			deposit_dialog(report, students);
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
				deposit_dialog(report, selections);
			},
		});
	}

	function deposit_dialog(report, students) {
		const company = report.get_filter_value("company");
		const dialog = new frappe.ui.Dialog({
			title: __("Add Deposit for {0} Students", [students.length]),
			fields: [
				{ fieldname: "amount", fieldtype: "Currency", label: __("Deposit Amount"), reqd: 1 },
				{
					fieldname: "posting_date",
					fieldtype: "Date",
					label: __("Date"),
					reqd: 1,
					default: frappe.datetime.get_today(),
				},
				{
					fieldname: "deposit_type",
					fieldtype: "Select",
					label: __("Deposit Type"),
					options: "Security\nRegistration\nAdvance Fee",
					default: "Security",
					reqd: 1,
				},
				{
					fieldname: "mode_of_payment",
					fieldtype: "Link",
					options: "Mode of Payment",
					label: __("Mode of Payment"),
					reqd: 1,
					get_query: () => ({ filters: { enabled: 1 } }),
				},
				{
					fieldname: "approved_by",
					fieldtype: "Link",
					options: "User",
					label: __("Approved By"),
					get_query: () => ({ filters: { user_type: "System User", enabled: 1 } }),
				},
				{ fieldname: "description", fieldtype: "Small Text", label: __("Description") },
			],
			primary_action_label: __("Submit"),
			primary_action(values) {
				frappe
					.call({
						method: "school_fees.school_fees.report.deposit_balance.deposit_balance.make_deposits",
						type: "POST",
						args: { students, ...values },
						freeze: true,
					})
					.then(({ message }) => {
						dialog.hide();
						show_outcome(
							__("Deposits"),
							__("{0} deposits created.", [message.created.length]),
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
		transferred_to_credit: __("Transferred to Credit"),
		used: __("Used"),
		refunded: __("Refunded"),
	};

	function show_history(row) {
		frappe.xcall(`${PROFILE}.get_deposit_history`, { student: row.student }).then((history) => {
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
						<td>${link("Deposit", move.deposit)}</td>
						<td class="text-right">${format_currency(move.amount, row.currency)}</td>
					</tr>`
				)
				.join("");
			show_table({
				title: __("Deposit History of {0}", [frappe.utils.escape_html(row.student_name)]),
				html: history.length
					? `<table class="table table-bordered table-condensed">
						<thead><tr><th>${__("Date")}</th><th>${__("Movement")}</th><th>${__("Voucher")}</th>
						<th>${__("Deposit")}</th><th class="text-right">${__("Amount")}</th></tr></thead>
						<tbody>${body}</tbody>
						<tfoot><tr><th colspan="4">${__("Deposit Balance")}</th>
						<th class="text-right">${format_currency(row.deposit_balance, row.currency)}</th></tr></tfoot>
					</table>`
					: __("No deposit movements yet."),
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
			const deposits = sources.filter((source) => source.source_doctype === "Deposit");
			if (!deposits.length) {
				frappe.msgprint(
					__("{0} holds no deposit to refund.", [frappe.utils.escape_html(row.student_name)])
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
			if (deposits.length === 1) {
				open_refund(deposits[0]);
				return;
			}
			const label = (source) =>
				`${source.source_name} (${format_currency(source.available, row.currency)})`;
			frappe.prompt(
				{
					fieldname: "source",
					fieldtype: "Select",
					label: __("Deposit to refund"),
					options: deposits.map(label),
					reqd: 1,
				},
				({ source }) => open_refund(deposits.find((deposit) => label(deposit) === source)),
				__("Refund Deposit")
			);
		});
	}
})();
