"""Where the browser suite finds what it needs, and why it cannot run when something is missing.
Imports nothing from Frappe or Playwright, so that it can always say why."""

import importlib.util
import json
import os
import shutil
from pathlib import Path

from bench_site import SITES_PATH, missing_reason

CHROMIUM = Path(os.environ.get("SCHOOL_FEES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
SHOTS = Path(os.environ.get("SCHOOL_FEES_UI_SHOTS") or "/tmp/ui-shots")
PYTHON = SITES_PATH.parent / "env" / "bin" / "python"


def ui_missing_reason() -> str | None:
	"""Why the browser suite cannot run here, or None."""
	reason = missing_reason()
	if reason:
		return reason
	if importlib.util.find_spec("playwright") is None:
		return f"Playwright for Python is not installed in the bench env ({PYTHON} -m pip install playwright)"
	if not CHROMIUM.is_file():
		return f"no chromium at {CHROMIUM} (apt-get install -y chromium, or set SCHOOL_FEES_CHROMIUM)"
	manifest = SITES_PATH / "assets" / "assets.json"
	if not manifest.is_file():
		return f"the desk assets are not built ({manifest} is missing: run `bench build`)"
	bundles = json.loads(manifest.read_text())
	for bundle in ("desk.bundle.js", "school_fees.bundle.js"):
		path = bundles.get(bundle)
		if not path or not (SITES_PATH / path.lstrip("/")).is_file():
			return f"the desk assets are not built: {bundle} is missing (run `bench build`)"
	return None


if __name__ == "__main__":  # used by tests/run: prints the reason and exits 1 when the suite cannot run
	import sys

	reason = ui_missing_reason()
	print(reason or "ok")
	sys.exit(1 if reason else 0)
