"""The School Fees workspace in the desk: its number cards show the school's figures in the school's
currency (the site's default currency is another one), for a Fees Manager whose school is their
default Company, and again once their only User Permission names the school without making it the
default (then Frappe knows no default Company for them); the Fee Collections chart asks for that
school both times."""

import json
from urllib.parse import parse_qs

from desk_session import expect
from ui_data import committed

from school_fees import number_cards

MONEY_CARDS = {
	"Fees Billed This Term": number_cards.get_billed_this_term,
	"Fees Collected Today": number_cards.get_collected_today,
	"Fees Outstanding": number_cards.get_outstanding,
}
OVERDUE = "Overdue Fee Invoices"


def shown_cards(session) -> dict[str, str]:
	"""Each number card's title and the number it shows, once every card has loaded."""
	page = session.page
	page.wait_for_function(
		"""() => {
			const cards = [...document.querySelectorAll('.widget.number-widget-box')];
			return cards.length >= 4 && cards.every((card) => card.querySelector('.number'));
		}"""
	)
	session.settle()
	return dict(
		page.evaluate(
			"""() => [...document.querySelectorAll('.widget.number-widget-box')].map((card) => [
				card.querySelector('.widget-title').textContent.trim(),
				card.querySelector('.number').innerText.trim(),
			])"""
		)
	)


def server_cards(db, user: str) -> dict[str, str]:
	"""The cards as the server computes them for `user` (what the desk must show)."""
	frappe = db.fresh()
	frappe.set_user(user)
	try:
		cards = {name: card({}) for name, card in MONEY_CARDS.items()}
		cards[OVERDUE] = str(number_cards.get_overdue_invoices({})["value"])
		return cards
	finally:
		frappe.set_user("Administrator")


def server_overdue_invoices(db, company: str) -> list[str]:
	from frappe.utils import nowdate

	return sorted(
		db.get_all(
			"Fee Invoice",
			filters={
				"company": company,
				"docstatus": 1,
				"outstanding_amount": (">", 0),
				"due_date": ("<", nowdate()),
			},
			pluck="name",
		)
	)


def set_default_school(site, user: str, is_default: int) -> None:
	"""Mark the user's User Permission on Company default or not (saved, so Frappe's cache of user
	permissions is cleared; the desk reads it at the next login)."""

	def save():
		name = site.db.get_value("User Permission", {"user": user, "allow": "Company"})
		permission = site.get_doc("User Permission", name)
		permission.is_default = is_default
		permission.save(ignore_permissions=True)

	committed(save)


def test_workspace_cards_show_the_schools_figures_in_its_currency(desk, ui_data, db, site, shot):
	frappe = db.fresh()
	currency = frappe.db.get_value("Company", ui_data.company, "default_currency")
	symbol = frappe.db.get_value("Currency", currency, "symbol")
	site_symbol = frappe.db.get_value("Currency", frappe.db.get_default("currency"), "symbol")
	assert symbol != site_symbol, "the test needs a school whose currency is not the site's"

	try:
		for is_default, step in ((1, "default-company"), (0, "single-permission")):
			set_default_school(site, ui_data.manager, is_default)
			manager = desk(ui_data.manager)
			with manager.page.expect_response(lambda r: "dashboard_chart.get" in r.url) as chart:
				manager.goto("/app/school-fees")
			# the Fee Collections chart asks for the user's school (school_fees.users_school), also
			# when Frappe knows no default Company for the user
			sent = json.loads(parse_qs(chart.value.request.post_data)["filters"][0])
			assert [f[3] for f in sent if f[1] == "company"] == [ui_data.company], (step, sent)
			default = manager.page.evaluate("() => frappe.defaults.get_user_default('Company') || null")
			assert default == (ui_data.company if is_default else None)
			expect(manager.page.locator(".widget.number-widget-box").first).to_be_visible()
			cards = shown_cards(manager)
			shot(manager, step)
			assert cards == server_cards(db, ui_data.manager)
			for name in MONEY_CARDS:
				assert cards[name].startswith(symbol), (step, name, cards[name])
			assert int(cards[OVERDUE]) > 0  # the suite's school has overdue invoices
			expect(manager.page.locator(".page-container:visible")).to_contain_text(
				"Amounts in your school's currency"
			)
			manager.assert_clean(f"the School Fees workspace ({step})")

		# the overdue card opens the list of those invoices
		manager.page.locator(".widget.number-widget-box", has_text=OVERDUE).locator(".number").click()
		manager.page.wait_for_url("**/app/fee-invoice**")
		manager.page.wait_for_function(
			"() => window.cur_list && cur_list.doctype === 'Fee Invoice' && cur_list.filters.length >= 4"
			" && cur_list.data && !frappe.request.ajax_count"
		)
		manager.settle()
		filters = manager.page.evaluate("() => cur_list.filters.map((f) => [f[1], f[2], f[3]])")
		assert sorted(filters) == sorted(
			[
				["company", "in", [ui_data.company]],
				["docstatus", "=", 1],
				["due_date", "<", db.fresh().utils.nowdate()],
				["outstanding_amount", ">", 0],
			]
		)
		overdue = server_overdue_invoices(db, ui_data.company)
		listed = manager.list_names()
		page_length = manager.page.evaluate("() => cur_list.page_length")
		assert set(listed) <= set(overdue) and len(listed) == min(len(overdue), page_length)
		shot(manager, "overdue-list")
		manager.assert_clean("the overdue invoices list")
	finally:
		db.fresh()
		set_default_school(site, ui_data.manager, 1)  # as ui_data made it, for the other tests
