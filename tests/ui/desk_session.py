"""One user's browser session in the Frappe desk: log in, open pages, fill forms the way a person
does (type into a link field, pick from its dropdown), and collect every console error, uncaught
page error and failed request so that a test can assert the page was clean.

What is *not* counted is listed in NOISE, explicitly, and printed by the suite: noise of the bench
itself, never of the app's own scripts or requests.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


@dataclass(frozen=True)
class Noise:
	kind: str  # "console", "response", "requestfailed" or "*" (any)
	pattern: str  # regular expression searched in the event's text (message and URL)
	why: str

	def matches(self, kind: str, text: str) -> bool:
		return (self.kind == "*" or self.kind == kind) and re.search(self.pattern, text) is not None


NOISE = (
	Noise(
		"*",
		r"/socket\.io/",
		"the suite runs no realtime (socket.io) server: the desk's polls to /socket.io/ fail",
	),
	Noise(
		"console",
		r"^Error connecting to socket\.io",
		"the desk's own message when it finds no realtime server",
	),
	Noise(
		"requestfailed",
		r"net::ERR_ABORTED",
		"a request the browser itself cancelled because the page navigated away (not a server answer)",
	),
	Noise(
		"*",
		r"/favicon\.ico",
		"a page outside the desk (the print view) makes the browser ask /favicon.ico; the test site sets no favicon",
	),
)


def noise_report() -> str:
	lines = ["Browser suite noise filter (events matching these are not counted as errors):"]
	lines += [f"  - [{n.kind}] /{n.pattern}/ : {n.why}" for n in NOISE]
	return "\n".join(lines)


@dataclass
class Problem:
	kind: str
	text: str
	url: str = ""

	def __str__(self):
		return f"[{self.kind}] {self.text}" + (f" ({self.url})" if self.url else "")


@dataclass
class DeskSession:
	"""A logged-in page of one user, with everything it logged that was not noise."""

	page: Page
	base_url: str
	user: str
	problems: list[Problem] = field(default_factory=list)
	ignored: list[Problem] = field(default_factory=list)

	def __post_init__(self):
		page = self.page
		page.on("console", self._on_console)
		page.on("pageerror", lambda error: self._record("pageerror", f"{error.name}: {error.message}"))
		page.on("requestfailed", self._on_request_failed)
		page.on("response", self._on_response)

	# ------------------------------------------------------------ error collection

	def _record(self, kind: str, text: str, url: str = "") -> None:
		problem = Problem(kind, text, url)
		haystack = f"{text} {url}"
		if any(noise.matches(kind, haystack) for noise in NOISE):
			self.ignored.append(problem)
		else:
			self.problems.append(problem)

	def _on_console(self, message) -> None:
		if message.type == "error":
			self._record("console", message.text, (message.location or {}).get("url", ""))

	def _on_request_failed(self, request) -> None:
		self._record("requestfailed", f"{request.method} {request.failure}", request.url)

	def _on_response(self, response) -> None:
		if response.status >= 400:
			self._record("response", f"{response.request.method} {response.status}", response.url)

	def assert_clean(self, where: str = "") -> None:
		"""No console error, page error or failed request (other than NOISE) so far."""
		problems, self.problems = self.problems, []
		assert not problems, f"{self.user} {where}: the page logged errors:\n" + "\n".join(
			f"  {p}" for p in problems
		)

	# ------------------------------------------------------------ navigation

	def login(self, password: str) -> None:
		page = self.page
		page.goto(f"{self.base_url}/login")
		page.fill("#login_email", self.user)
		page.fill("#login_password", password)
		page.click(".btn-login")
		page.wait_for_url("**/app**")
		self.wait_for_desk()

	def wait_for_desk(self) -> None:
		self.page.wait_for_function(
			"() => window.frappe && frappe.boot && frappe.session && frappe.session.user"
		)
		self.settle()

	def goto(self, path: str) -> None:
		self.page.goto(f"{self.base_url}{path}")
		self.wait_for_desk()

	def open_form(self, doctype: str, name: str) -> None:
		self.goto(f"/app/{slug(doctype)}/{name}")
		self.wait_for_form(doctype, name)

	def wait_for_form(self, doctype: str, name: str | None = None) -> None:
		self.page.wait_for_function(
			"([dt, dn]) => window.cur_frm && cur_frm.doctype === dt && (!dn || cur_frm.doc.name === dn)"
			" && cur_frm.layout && cur_frm.page.wrapper.is(':visible')",
			arg=[doctype, name],
		)
		self.settle()

	def settle(self) -> None:
		"""Wait until the desk has no request in flight and no freeze."""
		self.page.wait_for_function(
			"() => !(frappe.dom && frappe.dom.freeze_count) && !(frappe.request && frappe.request.ajax_count)"
		)

	def open_list(self, doctype: str, query: str = "") -> None:
		self.goto(f"/app/{slug(doctype)}{'?' + query if query else ''}")
		self.page.wait_for_selector(".frappe-list .result, .frappe-list .no-result")
		self.settle()

	def list_names(self) -> list[str]:
		return sorted(
			self.page.evaluate("() => (window.cur_list && cur_list.data || []).map((row) => row.name)")
		)

	def wait_for_list(self, expected, timeout_ms: int = 20_000) -> list[str]:
		"""The names the list view shows once it shows `expected` (a list refreshes again after its
		route filters apply); when it never does, what it shows, for the assertion."""
		try:
			self.page.wait_for_function(
				"""(expected) => window.cur_list && !(frappe.request.ajax_count)
					&& JSON.stringify(cur_list.data.map((row) => row.name).sort()) === JSON.stringify(expected)""",
				arg=sorted(expected),
				timeout=timeout_ms,
			)
		except PlaywrightTimeoutError:
			pass
		return self.list_names()

	def reload(self) -> None:
		self.page.reload()
		self.wait_for_desk()

	# ------------------------------------------------------------ form fields

	def field(self, fieldname: str, root: str = ".page-container:visible"):
		return self.page.locator(
			f"{root} .frappe-control[data-fieldname='{fieldname}'] :is(input, textarea, select)"
		).first

	def fill_link(self, fieldname: str, text: str, pick: str | None = None, root: str | None = None) -> None:
		"""Type into a link field and pick the dropdown entry that contains `pick` (default: `text`)."""
		control = self.page.locator(
			f"{root or '.page-container:visible'} .frappe-control[data-fieldname='{fieldname}']"
		).first
		box = control.locator("input").first
		box.click()
		box.fill(text)
		option = control.locator("[role='listbox'] [role='option']").filter(has_text=pick or text).first
		option.wait_for(state="visible")
		option.click()
		self.settle()

	def fill(self, fieldname: str, value: str, root: str | None = None) -> None:
		box = self.field(fieldname, root or ".page-container:visible")
		box.click()
		box.fill(str(value))
		box.press("Tab")
		self.settle()

	def value(self, fieldname: str):
		return self.page.evaluate("(f) => cur_frm.doc[f]", fieldname)

	def status(self) -> str:
		return self.page.locator(".page-head:visible .indicator-pill").first.inner_text().strip()

	def save(self) -> None:
		self.page.keyboard.press("Control+s")
		self.page.wait_for_function("() => cur_frm && !cur_frm.is_new() && !cur_frm.is_dirty()")
		self.settle()

	def submit(self) -> None:
		self.primary_button("Submit").click()
		self.dialog_button("Yes").click()
		self.page.wait_for_function("() => cur_frm && cur_frm.doc.docstatus === 1")
		self.settle()

	def primary_button(self, label: str):
		return self.page.locator(".page-head:visible .primary-action").filter(has_text=label).first

	def page_button(self, label: str):
		"""A button of the page head (custom buttons, the secondary action) by its label."""
		return (
			self.page.locator(".page-head:visible button, .page-head:visible .btn")
			.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
			.first
		)

	# ------------------------------------------------------------ dialogs

	def dialog(self):
		return self.page.locator(".modal.show .modal-dialog").last

	def dialog_button(self, label: str):
		return (
			self.dialog()
			.locator("button:visible")
			.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
			.first
		)

	def dialog_text(self) -> str:
		return self.dialog().inner_text()

	def close_dialog(self) -> None:
		self.page.locator(".modal.show .btn-modal-close").last.click()
		self.page.wait_for_function("() => !document.querySelector('.modal.show')")

	def shot(self, directory: Path, name: str) -> Path:
		directory.mkdir(parents=True, exist_ok=True)
		path = directory / f"{name}.png"
		self.page.screenshot(path=str(path))
		return path


def slug(doctype: str) -> str:
	return doctype.lower().replace(" ", "-")


__all__ = ["NOISE", "DeskSession", "expect", "noise_report", "slug"]
