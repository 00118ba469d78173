"""``lcm_etl`` never imports airflow: the API, the CLI and the consumer run without it, and the
DAGs stay wiring. Needs no airflow extra."""

from __future__ import annotations

import subprocess
import sys


def test_lcm_etl_never_imports_airflow() -> None:
    """Import every lcm_etl module in a fresh interpreter; airflow must not be among sys.modules."""
    code = (
        "import importlib, pkgutil, sys, lcm_etl\n"
        "names = [m.name for m in pkgutil.walk_packages(lcm_etl.__path__, 'lcm_etl.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(n for n in sys.modules if n == 'airflow' or n.startswith('airflow.'))\n"
        "print(len(names))\n"
        "if bad:\n"
        "    sys.exit('lcm_etl imported ' + ' '.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) > 10
