"""Where the integration suite finds its Frappe bench and site.

FRAPPE_BENCH            the bench folder (default: ~/frappe-bench)
SCHOOL_FEES_TEST_SITE   the site with ERPNext and school_fees installed (default: schoolfees.test)

This module imports nothing from Frappe so that it can say *why* the suite cannot run.
"""

import importlib.util
import os
from pathlib import Path

BENCH = Path(os.environ.get("FRAPPE_BENCH") or Path.home() / "frappe-bench")
SITE = os.environ.get("SCHOOL_FEES_TEST_SITE") or "schoolfees.test"
SITES_PATH = BENCH / "sites"


def missing_reason() -> str | None:
	"""Return why the integration suite cannot run here, or None when it can."""
	if not (BENCH / "apps" / "frappe").is_dir():
		return f"no Frappe bench at {BENCH} (set FRAPPE_BENCH)"
	if not (SITES_PATH / SITE / "site_config.json").is_file():
		return f"no site '{SITE}' in {SITES_PATH} (set SCHOOL_FEES_TEST_SITE)"
	if importlib.util.find_spec("frappe") is None:
		return f"frappe is not importable: run the suite with {BENCH / 'env' / 'bin' / 'python'}"
	return None
