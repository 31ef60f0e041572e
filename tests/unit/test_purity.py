"""school_fees.core must stay pure Python: no Frappe or ERPNext import anywhere in it."""

import re
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "school_fees" / "core"
FORBIDDEN = re.compile(r"^\s*(import|from)\s+(frappe|erpnext)\b", re.MULTILINE)
MODULES = [
	"money",
	"errors",
	"installments",
	"proration",
	"discounts",
	"late_fees",
	"allocation",
	"status",
	"credits",
	"billing",
	"payment_types",
	"student_changes",
]


def test_core_sources_do_not_import_frappe():
	sources = sorted(CORE.rglob("*.py"))
	assert len(sources) >= len(MODULES)
	offenders = [str(path) for path in sources if FORBIDDEN.search(path.read_text())]
	assert offenders == [], f"frappe/erpnext imported in: {offenders}"


def test_importing_core_loads_no_frappe():
	code = (
		"import sys\n"
		+ "".join(f"import school_fees.core.{name}\n" for name in MODULES)
		+ "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('frappe', 'erpnext'))\n"
		+ "assert not bad, bad\n"
	)
	subprocess.run([sys.executable, "-c", code], cwd=CORE.parents[1], check=True)


def test_every_module_is_listed():
	present = {p.stem for p in CORE.glob("*.py") if p.stem != "__init__"}
	assert present == set(MODULES)
