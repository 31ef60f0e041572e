"""Serve a Frappe site on the loopback interface only, for the browser suite.

`bench serve` (frappe.app.serve) always binds 0.0.0.0. This does what it does (the same WSGI
application with /assets and /files served from sites/) but binds 127.0.0.1, without the reloader
or the interactive debugger. Run it from the bench's sites folder with the bench's Python:

	cd ~/frappe-bench/sites && ../env/bin/python /path/to/tests/ui/serve.py SITE PORT
"""

import logging
import os
import sys

HOST = "127.0.0.1"


def main(site: str, port: int) -> None:
	from werkzeug.serving import run_simple

	import frappe.app

	frappe.app._site = site
	frappe.app._sites_path = os.getcwd()
	application = frappe.app.application_with_statics()
	logging.getLogger("werkzeug").setLevel(logging.WARNING)  # failed requests still logged
	run_simple(HOST, port, application, use_reloader=False, use_debugger=False, threaded=True)


if __name__ == "__main__":
	main(sys.argv[1], int(sys.argv[2]))
