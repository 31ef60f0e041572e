// Copyright (c) 2026, school_fees developers
// For license information, please see license.txt

const PAYMENTS = "school_fees.payments.credit";

const SOURCES_BY_TYPE = {
	Receipt: [],
	"Apply Credit": ["Credit Note", "Payment Allocation", "Payment Entry", "Journal Entry"],
	"Apply Deposit": ["Deposit"],
	Refund: ["Credit Note", "Payment Allocation", "Payment Entry", "Journal Entry", "Deposit"],
	"Deposit to Credit": ["Deposit"],
};
// Each type has its own series (the server decides; this only shows it on a new form)
const NAMING_SERIES = {
	Receipt: "RCPT-.YYYY.-",
	"Apply Credit": "CDAP-.YYYY.-",
	"Apply Deposit": "DPAP-.YYYY.-",
	Refund: "RFND-.YYYY.-",
	"Deposit to Credit": "DTC-.YYYY.-",
};
const TYPES_WITH_CASH = ["Receipt", "Refund"];
const TYPES_WITH_INVOICES = ["Receipt", "Apply Credit", "Apply Deposit"];

frappe.ui.form.on("Payment Allocation", {
	setup(frm) {
		frm.set_query("source_doctype", () => ({
			filters: { name: ["in", SOURCES_BY_TYPE[frm.doc.allocation_type] || []] },
		}));
		frm.set_query("source_name", () => {
			const filters = { docstatus: 1, company: frm.doc.company };
			if (frm.doc.source_doctype === "Payment Entry") {
				Object.assign(filters, { party_type: "Customer", party: frm.doc.customer, unallocated_amount: [">", 0] });
			} else if (frm.doc.source_doctype !== "Journal Entry") {
				filters.customer = frm.doc.customer;
			}
			if (frm.doc.source_doctype === "Payment Allocation") {
				filters.allocation_type = ["in", ["Receipt", "Deposit to Credit"]];
				filters.remaining_amount = [">", 0];
			}
			if (["Credit Note", "Deposit"].includes(frm.doc.source_doctype)) {
				filters.remaining_amount = [">", 0];
			}
			return { filters };
		});
		frm.set_query("fee_invoice", "allocations", () => ({
			filters: {
				docstatus: 1,
				company: frm.doc.company,
				customer: frm.doc.customer,
				outstanding_amount: [">", 0],
			},
		}));
		frm.set_query("student", () => ({ filters: { company: frm.doc.company } }));
		frm.set_query("paid_to", () => ({
			filters: { company: frm.doc.company, is_group: 0, account_type: ["in", ["Bank", "Cash"]] },
		}));
	},

	onload(frm) {
		set_currency(frm);
		set_naming_series(frm);
	},

	refresh(frm) {
		frm.toggle_display("payment_section", TYPES_WITH_CASH.includes(frm.doc.allocation_type));
		frm.toggle_display("source_section", frm.doc.allocation_type !== "Receipt");
		frm.toggle_display("allocations_section", TYPES_WITH_INVOICES.includes(frm.doc.allocation_type));
		frm.toggle_reqd("paid_to", TYPES_WITH_CASH.includes(frm.doc.allocation_type));

		if (frm.doc.docstatus === 0) {
			if (TYPES_WITH_INVOICES.includes(frm.doc.allocation_type)) {
				frm.add_custom_button(__("Allocate Oldest Due First"), () => {
					frm.clear_table("allocations");
					frm.save();
				});
			}
			if (frm.doc.customer && frm.doc.allocation_type !== "Receipt") {
				frm.add_custom_button(__("Pick Open Credit"), () => pick_open_credit(frm));
			}
		}
		if (frm.doc.docstatus === 1 && frm.doc.remaining_amount > 0) {
			const create = (label, allocation_type) => {
				if (!school_fees.form.may_allocate(allocation_type)) return;
				frm.add_custom_button(label, () => school_fees.form.use_source(frm, allocation_type), __("Create"));
			};
			create(__("Apply Credit"), "Apply Credit");
			create(__("Refund"), "Refund");
		}
		offer_permitted_types(frm);
		show_available(frm);
	},

	allocation_type(frm) {
		if (!(SOURCES_BY_TYPE[frm.doc.allocation_type] || []).includes(frm.doc.source_doctype)) {
			frm.set_value({ source_doctype: null, source_name: null });
		}
		set_naming_series(frm);
		frm.trigger("refresh");
	},

	company(frm) {
		set_currency(frm);
		show_available(frm);
	},

	student: (frm) => school_fees.form.set_customer_from_student(frm),

	mode_of_payment: (frm) => school_fees.form.set_paid_to_from_mode_of_payment(frm),

	source_name: show_available,
	customer: show_available,
});

// Amounts are in the school's currency, never the site's default one: ERPNext boots every company's
// default currency (erpnext.get_currency), so a new voucher shows it before its first save.
function company_currency(frm) {
	return frm.doc.currency || erpnext.get_currency(frm.doc.company);
}

function set_currency(frm) {
	if (frm.doc.docstatus !== 0 || !frm.doc.company) return;
	const currency = erpnext.get_currency(frm.doc.company);
	if (currency && frm.doc.currency !== currency) frm.set_value("currency", currency);
}

function set_naming_series(frm) {
	const series = NAMING_SERIES[frm.doc.allocation_type];
	if (frm.is_new() && series && frm.doc.naming_series !== series) frm.set_value("naming_series", series);
}

// The kinds this user may make (a Fee Cashier: Receipt and Apply Deposit), and the draft's own kind so a
// draft made by someone else still reads right; the server refuses the others whatever the form offers.
function offer_permitted_types(frm) {
	if (frm.doc.docstatus !== 0) return;
	const types = Object.keys(SOURCES_BY_TYPE).filter(
		(type) => school_fees.form.may_allocate(type) || type === frm.doc.allocation_type
	);
	frm.set_df_property("allocation_type", "options", types.join("\n"));
}

// Asked again on refresh, source and customer changes (often several at once while a form opens):
// only the last answer is shown, in place of the previous one (Frappe's headline appends).
function show_available(frm) {
	frm.dashboard.clear_headline();
	const asked = (frm.available_asked = (frm.available_asked || 0) + 1);
	if (frm.doc.docstatus !== 0 || !frm.doc.source_doctype || !frm.doc.source_name || !frm.doc.customer) return;
	frappe
		.call(`${PAYMENTS}.get_available_credit`, {
			company: frm.doc.company,
			customer: frm.doc.customer,
			source_doctype: frm.doc.source_doctype,
			source_name: frm.doc.source_name,
		})
		.then(({ message }) => {
			if (asked !== frm.available_asked) return;
			frm.dashboard.clear_headline();
			frm.dashboard.set_headline(
				__("{0} {1} can still give {2}", [
					__(frm.doc.source_doctype),
					frm.doc.source_name,
					format_currency(message, company_currency(frm)),
				])
			);
		});
}

function pick_open_credit(frm) {
	frappe
		.call(`${PAYMENTS}.get_open_credit_sources`, { company: frm.doc.company, customer: frm.doc.customer })
		.then(({ message }) => {
			const allowed = SOURCES_BY_TYPE[frm.doc.allocation_type] || [];
			const rows = (message || []).filter((row) => allowed.includes(row.source_doctype));
			if (!rows.length) {
				frappe.msgprint(__("Customer {0} has no open credit for a {1}.", [frm.doc.customer, __(frm.doc.allocation_type)]));
				return;
			}
			const dialog = new frappe.ui.Dialog({
				title: __("Open Credit of {0}", [frm.doc.customer]),
				fields: [
					{
						fieldname: "source",
						fieldtype: "Select",
						label: __("Source"),
						reqd: 1,
						options: rows.map((row) => ({
							value: `${row.source_doctype}::${row.source_name}`,
							label: `${__(row.source_doctype)} ${row.source_name} (${frappe.datetime.str_to_user(row.posting_date)}): ${format_currency(row.available, company_currency(frm))}`,
						})),
					},
				],
				primary_action_label: __("Use"),
				primary_action({ source }) {
					const [source_doctype, source_name] = source.split("::");
					frm.set_value({ source_doctype, source_name });
					dialog.hide();
				},
			});
			dialog.show();
		});
}

