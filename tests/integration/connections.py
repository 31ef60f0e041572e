"""A second site connection for race tests: work done in its own thread, connection and
transaction, so one test can hold locks while another writer tries its luck."""

import threading

from bench_site import SITE, SITES_PATH

import frappe


class Connection(threading.Thread):
	"""Runs `work` in its own site connection and transaction; waits for `release` (if given)
	before committing."""

	def __init__(self, work, release: threading.Event | None = None):
		super().__init__(daemon=True)
		self.work, self.release = work, release
		self.ready = threading.Event()
		self.result, self.error = None, None
		self.connection_id = None

	def run(self):
		frappe.init(site=SITE, sites_path=str(SITES_PATH))
		frappe.connect()
		frappe.set_user("Administrator")
		self.connection_id = frappe.db.sql("select connection_id()")[0][0]
		try:
			self.result = self.work()
			self.ready.set()
			if self.release:
				self.release.wait(timeout=60)
			frappe.db.commit()
		except Exception as error:  # handed to the test, which asserts on it
			self.error = error
			frappe.db.rollback()
		finally:
			self.ready.set()
			frappe.destroy()
