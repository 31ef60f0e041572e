"""/fees: the parent portal. A guardian sees their children's issued invoices, receipts, open credit and
deposit held, downloads invoices, receipts and statements as PDF, and reads how to pay (school_fees.portal
holds the rules; this page only renders them). A Guest is sent to the login page; each view is audited."""

import frappe
from frappe import _
from frappe.utils import fmt_money, formatdate

from school_fees import portal

no_cache = 1


def get_context(context):
	if frappe.session.user == portal.GUEST:
		frappe.local.flags.redirect_location = "/login?redirect-to=" + portal.PORTAL_ROUTE
		raise frappe.Redirect(302)  # not 301: a browser would keep sending the guardian to /login

	context.no_cache = 1
	context.show_sidebar = False
	context.title = _("School Fees")
	context.update(portal.get_portal_context())
	context.download_pdf_url = "/api/method/school_fees.portal.download_pdf"
	context.download_statement_url = "/api/method/school_fees.portal.download_statement"
	context.format_money = lambda value, currency: fmt_money(value, currency=currency)
	context.format_date = formatdate
	portal.log_portal_view(context.children)
	return context
