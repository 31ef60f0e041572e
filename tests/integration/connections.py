"""A second site connection for race tests: work done in its own thread, connection and
transaction, so one test can hold locks while another writer tries its luck."""

import threading
import time

from bench_site import SITE, SITES_PATH

import frappe
from frappe.model.naming import NamingSeries


class Connection(threading.Thread):
	"""Runs `work` in its own site connection and transaction; waits for `release` (if given)
	before committing. With `lock_wait_timeout` (seconds) a lock held longer by another connection
	fails the work (frappe.QueryTimeoutError) instead of waiting MariaDB's 50 seconds; `seconds` is
	how long the work took, also when it failed.

	The thread is not under a test: frappe.flags.in_test is unset there, so code that commits outside
	tests (jobs, bulk actions) commits here as it does on a live site."""

	def __init__(self, work, release: threading.Event | None = None, lock_wait_timeout: int | None = None):
		super().__init__(daemon=True)
		self.work, self.release, self.lock_wait_timeout = work, release, lock_wait_timeout
		self.ready = threading.Event()
		self.result, self.error, self.seconds = None, None, None
		self.connection_id = None

	def run(self):
		frappe.init(site=SITE, sites_path=str(SITES_PATH))
		frappe.connect()
		frappe.set_user("Administrator")
		self.connection_id = frappe.db.sql("select connection_id()")[0][0]
		if self.lock_wait_timeout:
			frappe.db.sql(f"set session innodb_lock_wait_timeout = {int(self.lock_wait_timeout)}")
		started = time.perf_counter()
		try:
			self.result = self.work()
			self.seconds = time.perf_counter() - started
			self.ready.set()
			if self.release:
				self.release.wait(timeout=60)
			frappe.db.commit()
		except Exception as error:  # handed to the test, which asserts on it
			self.seconds = self.seconds or time.perf_counter() - started
			self.error = error
			frappe.db.rollback()
		finally:
			self.ready.set()
			frappe.destroy()


def running(connection: Connection, *fragments: str) -> bool:
	"""True while the connection runs a statement containing every fragment (case-insensitive): a
	statement still running after its rows were read is one waiting for a lock. The process list
	shows a database user's own connections."""
	if not connection.connection_id:
		return False
	rows = frappe.db.sql(
		"select info from information_schema.processlist where id = %s", connection.connection_id
	)
	statement = (rows[0][0] or "").lower() if rows else ""
	return all(fragment.lower() in statement for fragment in fragments)


def wait_until_running(connection: Connection, *fragments: str, timeout: float = 60) -> None:
	"""Wait until the connection is inside a statement containing every fragment (waiting for a lock
	another connection holds)."""
	deadline = time.monotonic() + timeout
	while not running(connection, *fragments):
		assert connection.is_alive(), (
			f"the connection ended before it ran {fragments}: {connection.error or connection.result}"
		)
		assert time.monotonic() < deadline, f"the connection never ran {fragments}"
		time.sleep(0.05)


def series_prefix(naming_series: str) -> str:
	"""The counter row in tabSeries that numbers a naming series today ("RCPT-.YYYY.-" -> "RCPT-2026-")."""
	return NamingSeries(naming_series).get_prefix()


def hold_series(naming_series: str):
	"""Work for a Connection: hold a naming series' counter row as a user numbering a document does,
	until the connection commits. The row is made first if the series was not used yet (Frappe counts
	on from 0 as from no row)."""

	def work():
		frappe.db.sql(
			"insert into `tabSeries` (name, current) values (%s, 0) on duplicate key update current = current",
			series_prefix(naming_series),
		)

	return work
