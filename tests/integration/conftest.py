"""Integration tests run against a real Frappe/ERPNext site with school_fees installed.

Each test runs inside a transaction that is rolled back afterwards. Code under test that
commits (background jobs, billing runs) must be tested with data made unique per test
(factories use random names), never by relying on rollback.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from bench_site import BENCH, SITE, SITES_PATH, missing_reason

MISSING = missing_reason()
TEST_COMPANY = "_Test School"
TEST_COMPANY_ABBR = "_TS"


def pytest_ignore_collect(collection_path, config):
	"""Without a site nothing here may import frappe: only test_site_available.py is
	collected, and it reports the reason as a skip."""
	if MISSING and collection_path.suffix == ".py" and collection_path.name != "test_site_available.py":
		return True
	return None


def pytest_report_header(config):
	if MISSING:
		return f"school_fees integration suite: NOT RUN — {MISSING}"
	return f"school_fees integration suite: site {SITE} in {BENCH}"


@pytest.fixture(scope="session", autouse=True)
def frappe_site():
	"""Connect to the test site once per session."""
	if MISSING:
		yield None
		return
	import os

	import frappe

	os.chdir(SITES_PATH)  # Frappe writes its logs to ../logs, relative to sites/
	frappe.init(site=SITE, sites_path=str(SITES_PATH))
	frappe.connect()
	frappe.flags.in_test = True
	# the suites create many users (a test its own; the browser suite commits three per run), and
	# Frappe refuses a new user once 60 were created in the last hour (throttle_user_creation)
	frappe.local.conf.throttle_user_limit = 1_000_000
	frappe.set_user("Administrator")
	_ensure_erpnext_setup()
	_ensure_fiscal_years(range(2024, 2029))
	_ensure_company(TEST_COMPANY, TEST_COMPANY_ABBR)
	frappe.db.commit()
	yield frappe.local.site
	frappe.db.rollback()
	frappe.destroy()


@pytest.fixture(autouse=True)
def rollback(frappe_site):
	"""Roll back whatever a test wrote (unless the code under test committed)."""
	if MISSING:
		yield
		return
	import frappe

	frappe.set_user("Administrator")
	frappe.flags.in_test = True  # the jobs do not commit under a test (a test may have reset flags)
	yield
	frappe.db.rollback()
	# a test that rendered a page or a download leaves a request behind; with one, Frappe's Access Log
	# commits (core/doctype/access_log/access_log.py), which would keep the next tests' writes
	if getattr(frappe.local, "request", None) is not None:
		del frappe.local.request
	frappe.set_user("Administrator")
	frappe.local.flags.pop("current_date", None)


@pytest.fixture
def company(frappe_site) -> str:
	return TEST_COMPANY


@pytest.fixture(scope="session")
def trust(frappe_site) -> str:
	"""_Test Trust, a group company with two schools (factories.ensure_trust): created once and
	committed, since creating a company takes seconds."""
	from factories import ensure_trust

	return ensure_trust()


@pytest.fixture
def outgoing_mail(monkeypatch):
	"""A default outgoing Email Account for the test (the site has none; rolled back with the test;
	Frappe itself takes the default from any other), and emails muted so nothing ever leaves: rows are
	only queued. Frappe caches the outgoing account per process, so the cache is cleared around it."""
	import frappe

	monkeypatch.setattr(frappe.flags, "mute_emails", True)
	_forget_outgoing_account()
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": f"School Office {frappe.generate_hash(length=8)}",
			"email_id": "office@school-fees.invalid",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "127.0.0.1",
			"no_smtp_authentication": 1,
		}
	).insert(ignore_permissions=True)
	yield
	_forget_outgoing_account()


@pytest.fixture
def site_assets():
	"""The bench's /assets served on 127.0.0.1 while the test runs, and host_name pointing at it:
	wkhtmltopdf loads the print styles from the site's URL (nginx in production), and this site's host
	name does not resolve."""
	from school_fees.benchmarks.common import assets_served

	with assets_served() as url:
		yield url


def _forget_outgoing_account():
	import frappe

	if hasattr(frappe.local, "outgoing_email_account"):
		del frappe.local.outgoing_email_account


def _ensure_erpnext_setup():
	import frappe

	if not frappe.db.a_row_exists("Company"):
		from erpnext.setup.utils import before_tests

		before_tests()


def _ensure_fiscal_years(years):
	import frappe

	for year in years:
		name = str(year)
		if frappe.db.exists("Fiscal Year", name) or frappe.db.exists(
			"Fiscal Year", {"year_start_date": f"{year}-01-01"}
		):
			continue
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": name,
				"year_start_date": f"{year}-01-01",
				"year_end_date": f"{year}-12-31",
			}
		).insert(ignore_permissions=True)


def _ensure_company(name: str, abbr: str):
	from school_fees.setup.schools import ensure_school

	ensure_school(name, abbr)
