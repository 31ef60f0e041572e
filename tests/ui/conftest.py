"""The browser suite: the real desk in headless Chromium (Debian's chromium driven by Playwright for
Python, no browser download) against the test site served on 127.0.0.1 by the suite itself.

The suite needs a bench and site (as the integration suite), Playwright in the bench env, a chromium
executable (SCHOOL_FEES_CHROMIUM, default `chromium` on PATH or /usr/bin/chromium) and built desk
assets (sites/assets/assets.json). When any is missing nothing here runs: only
test_desk_available.py is collected and skips with the reason, and a banner says so. Never a silent
pass.

Fixtures: the site connection (shared with the integration suite when both run in one session),
the suite's data (ui_data.py), the web server (serve.py, a free port on 127.0.0.1), an RQ worker on
the `long` queue (started only by the tests that need it), one Chromium, and `desk(user)` which
logs a user in and hands back a DeskSession. After each test every session must be free of console
errors, page errors and failed requests (desk_session.NOISE lists what is not counted). Screenshots:
of every page on failure, and of a few steps on success, in SCHOOL_FEES_UI_SHOTS (/tmp/ui-shots).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))  # bench_site, factories
from bench_site import SITE, SITES_PATH
from ui_env import CHROMIUM, PYTHON, SHOTS, ui_missing_reason

NAVIGATION_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 30_000

MISSING = ui_missing_reason()
IGNORED = Counter()  # noise seen across the run, by kind
_STATE = {}


def banner(lines: list[str]) -> str:
	bar = "#" * 88
	return "\n".join([bar, *(f"##  {line}" for line in lines), bar])


def pytest_ignore_collect(collection_path, config):
	if MISSING and collection_path.suffix == ".py" and collection_path.name != "test_desk_available.py":
		return True
	return None


def pytest_report_header(config):
	if MISSING:
		return f"school_fees browser suite: NOT RUN — {MISSING}"
	return f"school_fees browser suite: {CHROMIUM} against site {SITE}, screenshots in {SHOTS}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
	if MISSING:
		terminalreporter.write_line(
			banner(["BROWSER SUITE (tests/ui) NOT RUN:", MISSING, "The desk was NOT tested in a browser."]),
			red=True,
			bold=True,
		)
		return
	if not _STATE.get("ran"):
		return
	from desk_session import noise_report

	terminalreporter.write_line(noise_report())
	seen = ", ".join(f"{kind}: {count}" for kind, count in sorted(IGNORED.items())) or "none"
	terminalreporter.write_line(f"Noise events ignored in this run: {seen}. Screenshots: {SHOTS}")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
	outcome = yield
	report = outcome.get_result()
	setattr(item, f"report_{report.when}", report)


# ---------------------------------------------------------------- site and data


def connected() -> bool:
	import frappe

	return bool(getattr(frappe.local, "db", None))


def connect():
	import frappe

	os.chdir(SITES_PATH)
	frappe.init(site=SITE, sites_path=str(SITES_PATH))
	frappe.connect()
	# the suites create many users (a test its own; the browser suite commits three per run), and
	# Frappe refuses a new user once 60 were created in the last hour (throttle_user_creation)
	frappe.local.conf.throttle_user_limit = 1_000_000
	frappe.set_user("Administrator")


@pytest.fixture(scope="session")
def site():
	"""The frappe connection of this process (reused when the integration suite opened it; its
	session fixture may also open and close its own after this one, hence the checks)."""
	import frappe

	opened = not connected()
	if opened:
		connect()
	frappe.set_user("Administrator")
	yield frappe
	if opened and connected():
		frappe.db.rollback()
		frappe.destroy()


@pytest.fixture(scope="session")
def ui_data(site):
	import ui_data as data_module

	tag = site.generate_hash(length=8).lower()
	data = data_module.build(tag, password=f"Ui-{site.generate_hash(length=16)}!")
	yield data
	reconnected = not connected()
	if reconnected:
		connect()
	site.db.rollback()
	data_module.disable_users(data)
	if reconnected:
		site.destroy()


class SiteReader:
	"""Reads the site as the desk left it: each read starts a fresh transaction, so what the server
	process committed since is seen (REPEATABLE READ would keep showing an older snapshot)."""

	def __init__(self, frappe):
		self.frappe = frappe

	def fresh(self):
		self.frappe.db.rollback()
		self.frappe.set_user("Administrator")
		return self.frappe

	def get_value(self, *args, **kwargs):
		return self.fresh().db.get_value(*args, **kwargs)

	def get_all(self, *args, **kwargs):
		return self.fresh().get_all(*args, **kwargs)

	def has_permission(self, user: str, doctype: str, ptype: str, name: str) -> bool:
		frappe = self.fresh()
		frappe.set_user(user)
		try:
			return bool(frappe.has_permission(doctype, ptype, name))
		finally:
			frappe.set_user("Administrator")


@pytest.fixture
def db(site):
	"""Server-side reads of what the desk did (SiteReader)."""
	return SiteReader(site)


# ---------------------------------------------------------------- processes


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def stop(process: subprocess.Popen, grace: float = 30) -> None:
	if process.poll() is not None:
		return
	process.send_signal(signal.SIGTERM)
	try:
		process.wait(timeout=grace)
	except subprocess.TimeoutExpired:
		process.kill()
		process.wait(timeout=10)


def log_tail(path: Path, lines: int = 40) -> str:
	return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture(scope="session")
def server(ui_data, tmp_path_factory):
	"""The site on 127.0.0.1:<free port>, started and stopped by the suite."""
	port = free_port()
	log = tmp_path_factory.mktemp("server") / "serve.log"
	with log.open("w") as out:
		process = subprocess.Popen(
			[str(PYTHON), str(HERE / "serve.py"), SITE, str(port)],
			cwd=SITES_PATH,
			stdout=out,
			stderr=subprocess.STDOUT,
		)
	base_url = f"http://127.0.0.1:{port}"
	deadline = time.monotonic() + 90
	while True:
		try:
			with urllib.request.urlopen(f"{base_url}/api/method/ping", timeout=5) as answer:
				if answer.status == 200:
					break
		except OSError:
			pass
		if process.poll() is not None or time.monotonic() > deadline:
			stop(process)
			pytest.fail(f"the web server did not start on {base_url}:\n{log_tail(log)}")
		time.sleep(0.5)
	print(f"\nbrowser suite: serving {SITE} on {base_url} (log {log})")
	yield base_url
	stop(process)


@pytest.fixture(scope="session")
def worker(site, tmp_path_factory):
	"""An RQ worker of the site on the `long` queue (where a Billing Run's job goes)."""
	from frappe.utils.background_jobs import get_workers

	def long_workers():
		return {w.name for w in get_workers() if "long" in "".join(w.queue_names())}

	before = long_workers()
	log = tmp_path_factory.mktemp("worker") / "worker.log"
	with log.open("w") as out:
		process = subprocess.Popen(
			[
				str(PYTHON),
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				SITE,
				"worker",
				"--queue",
				"long",
			],
			cwd=SITES_PATH,
			stdout=out,
			stderr=subprocess.STDOUT,
		)
	deadline = time.monotonic() + 90
	while not (long_workers() - before):
		if process.poll() is not None or time.monotonic() > deadline:
			stop(process)
			pytest.fail(f"the background worker did not start:\n{log_tail(log)}")
		time.sleep(0.5)
	yield process
	stop(process, grace=60)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
	from playwright.sync_api import expect, sync_playwright

	expect.set_options(timeout=ACTION_TIMEOUT_MS)

	for old in SHOTS.glob("*.png"):
		old.unlink()
	with sync_playwright() as playwright:
		chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
		yield chromium
		chromium.close()


@pytest.fixture
def shot(request):
	"""shot(session, "step") saves a screenshot of a step worth reviewing."""

	def take(session, step: str):
		return session.shot(SHOTS, f"{request.node.name}--{step}")

	return take


@pytest.fixture
def desk(request, browser, server, ui_data):
	"""desk(user) -> a logged-in DeskSession. Afterwards: screenshots if the test failed, and every
	session must have logged no errors."""
	from desk_session import DeskSession

	_STATE["ran"] = True
	sessions, contexts = [], []

	def login(user: str) -> DeskSession:
		context = browser.new_context(viewport={"width": 1440, "height": 1000}, base_url=server)
		context.set_default_timeout(ACTION_TIMEOUT_MS)
		context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
		contexts.append(context)
		session = DeskSession(context.new_page(), server, user)
		sessions.append(session)
		session.login(ui_data.password)
		return session

	yield login

	failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
	problems = []
	for number, session in enumerate(sessions, start=1):
		if failed:
			try:
				path = session.shot(SHOTS, f"FAILED-{request.node.name}-{number}")
				print(f"screenshot of the failure: {path}")
			except Exception as error:  # the page may be gone; the failure itself is what matters
				print(f"no screenshot of session {number}: {error}")
			for problem in session.problems:
				print(f"{session.user} logged: {problem}")
		for problem in session.ignored:
			IGNORED[problem.kind] += 1
		problems += [f"{session.user}: {p}" for p in session.problems]
	for context in contexts:
		context.close()
	if problems and not failed:
		pytest.fail("pages logged errors:\n" + "\n".join(problems))
