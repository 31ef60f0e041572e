"""The School Fees workspace's number cards, called as the desk calls them, by real users, on a trust
of two schools keeping their books in different currencies (INR and USD, created once and committed).

Each card's result is what the card shows: a money card its amount formatted in the school's
currency (school_fees.number_cards says why a string), the overdue card a count. Asserted: the value
and the currency of every card for a Fees Manager of each school (one User Permission, no default
Company), a trust administrator (the trust's schools in its own currency only), a class teacher (own
sections only), a user of both schools (a default school is needed, then it is used), and that a
school's user is refused another school's figures.
"""

import pytest
from factories import (
	make_academic_term,
	make_class_section,
	make_fee_head,
	make_fee_invoice,
	make_fee_structure,
	make_payment_allocation,
	make_student,
	make_user,
)
from payment_helpers import D, set_auto_apply_credit

import frappe
from frappe.utils import add_days, fmt_money, nowdate

from school_fees.number_cards import no_school
from school_fees.setup.schools import ensure_school

TRUST, TRUST_ABBR = "_Test Currency Trust", "_TCT"
SCHOOL_INR, SCHOOL_INR_ABBR = "_Test Currency School INR", "_TCI"
SCHOOL_USD, SCHOOL_USD_ABBR = "_Test Currency School USD", "_TCU"

BILLED, COLLECTED, OUTSTANDING, OVERDUE = (
	"Fees Billed This Term",
	"Fees Collected Today",
	"Fees Outstanding",
	"Overdue Fee Invoices",
)
MONEY_CARDS = (BILLED, COLLECTED, OUTSTANDING)


# ---------------------------------------------------------------- schools and books


@pytest.fixture(scope="module")
def currency_trust(frappe_site):
	"""A trust (INR) with an INR school and a USD school; created once and committed (a company
	takes seconds to create)."""
	created = False
	for name, abbr, currency, country, parent in (
		(TRUST, TRUST_ABBR, "INR", "India", None),
		(SCHOOL_INR, SCHOOL_INR_ABBR, "INR", "India", TRUST),
		(SCHOOL_USD, SCHOOL_USD_ABBR, "USD", "United States", TRUST),
	):
		created = (
			ensure_school(name, abbr, currency, country, parent_company=parent, is_group=parent is None)
			or created
		)
	if created:
		frappe.db.commit()
	return TRUST


def invoice(company, student, amount, posted_days_ago, due_in_days, term):
	return make_fee_invoice(
		company,
		student.name,
		items=[(make_fee_head(company=company).name, amount)],
		posting_date=add_days(nowdate(), -posted_days_ago),
		due_date=add_days(nowdate(), due_in_days),
		academic_term=term,
		submit=True,
	)


def receipt_today(company, student, fee_invoice, amount):
	return make_payment_allocation(
		company,
		student.customer,
		paid_amount=amount,
		posting_date=nowdate(),
		allocations=[(fee_invoice.name, amount)],
		student=student.name,
	)


@pytest.fixture
def books(currency_trust):
	"""In a term under way (a fee structure of each school in it):

	INR school: the teacher's student owes 1,000 (overdue, 400 paid today), another section's
	student 700 (overdue, 200 paid today): billed 1,700, collected today 600, outstanding 1,100,
	2 overdue. USD school: 300 (overdue, 50 paid today): billed 300, collected 50, outstanding 250,
	1 overdue."""
	set_auto_apply_credit(False)
	term = make_academic_term(start_date=add_days(nowdate(), -30), end_date=add_days(nowdate(), 60)).name
	for school in (SCHOOL_INR, SCHOOL_USD):
		make_fee_structure(school, academic_term=term)
	teacher = make_user("Class Teacher")
	own = make_class_section(SCHOOL_INR, class_teacher=teacher).name
	other = make_class_section(SCHOOL_INR).name

	mine = make_student(SCHOOL_INR, class_section=own)
	receipt_today(SCHOOL_INR, mine, invoice(SCHOOL_INR, mine, 1000, 10, -5, term), 400)
	theirs = make_student(SCHOOL_INR, class_section=other)
	receipt_today(SCHOOL_INR, theirs, invoice(SCHOOL_INR, theirs, 700, 3, -1, term), 200)
	abroad = make_student(SCHOOL_USD)
	receipt_today(SCHOOL_USD, abroad, invoice(SCHOOL_USD, abroad, 300, 2, -1, term), 50)
	return frappe._dict(teacher=teacher)


INR_FIGURES = {BILLED: 1700, COLLECTED: 600, OUTSTANDING: 1100, OVERDUE: 2}
USD_FIGURES = {BILLED: 300, COLLECTED: 50, OUTSTANDING: 250, OVERDUE: 1}


# ---------------------------------------------------------------- users and the desk


def school_user(role: str, *schools: str, default: str | None = None) -> str:
	"""A user holding `role` in `schools` (User Permission on Company); `default` marks one of them
	as the default (without it, a user of one school has no default Company in Frappe)."""
	user = make_user(role)
	for school in schools:
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Company",
				"for_value": school,
				"is_default": int(school == default),
			}
		).insert(ignore_permissions=True)
	return user


def desk_card(name: str):
	"""The card's result as the desk gets it for the session user: the card must be theirs to read,
	its filters as the desk builds them (the dynamic filter is the user's default Company, dropped
	when there is none; the desk also takes a User Permission marked default for it, Frappe's
	server not always: the card finds it either way), its method a whitelisted one."""
	card = frappe.get_doc("Number Card", name)
	assert frappe.has_permission("Number Card", "read", doc=card)
	assert card.type == "Custom"
	filters = frappe.parse_json(card.filters_json) or {}
	dynamic = frappe.parse_json(card.dynamic_filters_json)
	assert dynamic == {"company": 'frappe.defaults.get_user_default("Company")'}
	company = frappe.defaults.get_user_default("Company")
	if company:
		filters["company"] = company
	method = frappe.get_attr(card.method)
	frappe.is_whitelisted(method)
	return method(filters=frappe.as_json(filters))


def cards_as(user: str) -> dict:
	frappe.set_user(user)
	try:
		return {name: desk_card(name) for name in (*MONEY_CARDS, OVERDUE)}
	finally:
		frappe.set_user("Administrator")


def expected_cards(figures: dict, currency: str) -> dict:
	shown = {name: fmt_money(D(figures[name]), currency=currency) for name in MONEY_CARDS}
	shown[OVERDUE] = figures[OVERDUE]
	return shown


def shown(cards: dict) -> dict:
	"""The cards as the desk shows them: the overdue card's count, the money cards' text."""
	return {name: result["value"] if name == OVERDUE else result for name, result in cards.items()}


# ---------------------------------------------------------------- tests


def test_every_card_is_a_custom_card_of_number_cards():
	for name in (*MONEY_CARDS, OVERDUE):
		card = frappe.get_doc("Number Card", name)
		assert (card.type, card.module, card.is_standard) == ("Custom", "School Fees", 1)
		assert card.method.startswith("school_fees.number_cards.")


def test_a_fees_manager_of_each_school_sees_its_figures_in_its_currency(books):
	symbols = {currency: frappe.db.get_value("Currency", currency, "symbol") for currency in ("INR", "USD")}
	assert symbols["INR"] != symbols["USD"]
	for school, currency, figures in (
		(SCHOOL_INR, "INR", INR_FIGURES),
		(SCHOOL_USD, "USD", USD_FIGURES),
	):
		manager = school_user("Fees Manager", school)
		cards = cards_as(manager)
		assert shown(cards) == expected_cards(figures, currency)
		for name in MONEY_CARDS:
			assert cards[name].startswith(symbols[currency]), (school, name, cards[name])

	# the overdue card opens those invoices of the school
	inr_manager = school_user("Fees Manager", SCHOOL_INR)
	overdue = cards_as(inr_manager)[OVERDUE]
	assert (overdue["fieldtype"], overdue["route"]) == ("Int", ["List", "Fee Invoice"])
	assert overdue["route_options"]["company"] == ["in", [SCHOOL_INR]]


def test_a_school_user_is_refused_another_schools_figures(books):
	manager = school_user("Fees Manager", SCHOOL_INR)
	frappe.set_user(manager)
	from school_fees import number_cards

	for card in (
		number_cards.get_billed_this_term,
		number_cards.get_collected_today,
		number_cards.get_outstanding,
		number_cards.get_overdue_invoices,
	):
		for company in (SCHOOL_USD, TRUST):
			with pytest.raises(frappe.PermissionError):
				card(filters={"company": company})


def test_a_trust_adds_up_only_its_schools_in_the_trusts_currency(books):
	admin = school_user("Trust Administrator", TRUST)
	assert shown(cards_as(admin)) == expected_cards(INR_FIGURES, "INR")  # the USD school left out

	frappe.set_user("Administrator")
	frappe.defaults.set_user_default("company", SCHOOL_USD)  # as Session Defaults sets it
	try:
		assert shown(cards_as("Administrator")) == expected_cards(USD_FIGURES, "USD")
	finally:
		frappe.defaults.clear_user_default("company")


def test_a_class_teacher_counts_their_own_sections_only(books):
	frappe.get_doc(
		{"doctype": "User Permission", "user": books.teacher, "allow": "Company", "for_value": SCHOOL_INR}
	).insert(ignore_permissions=True)
	own = {BILLED: 1000, COLLECTED: 400, OUTSTANDING: 600, OVERDUE: 1}
	assert shown(cards_as(books.teacher)) == expected_cards(own, "INR")


def test_a_user_of_two_schools_needs_a_default_school(books):
	both = school_user("Principal", SCHOOL_INR, SCHOOL_USD)
	assert cards_as(both) == {name: no_school() for name in (*MONEY_CARDS, OVERDUE)}

	usd_by_default = school_user("Principal", SCHOOL_INR, SCHOOL_USD, default=SCHOOL_USD)
	assert shown(cards_as(usd_by_default)) == expected_cards(USD_FIGURES, "USD")
