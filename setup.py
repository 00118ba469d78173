"""The one piece of the build that pyproject.toml cannot state: the top-level ``sql/`` and
``migrations/`` folders ship inside the package, as ``lcm_etl._sql`` and ``lcm_etl._migrations``.

The folders stay where they are in the repository. ``package_dir`` maps the two subpackages onto
them, so a wheel holds ``lcm_etl/_sql/transform/...`` and an editable install finds the same files
in the checkout. Code reads them through ``importlib.resources`` (``lcm_etl.resources``), never by
a path relative to a source file. Which files ship is ``[tool.setuptools.package-data]``.
"""

from setuptools import find_namespace_packages, setup

BUNDLED = {"lcm_etl._sql": "sql", "lcm_etl._migrations": "migrations"}
NOT_PACKAGES = ["*__pycache__*"]


def packages() -> list[str]:
    """``lcm_etl`` and every folder below it (data folders too: namespace packages), then the
    bundled folders and theirs."""
    found = find_namespace_packages(include=["lcm_etl", "lcm_etl.*"], exclude=NOT_PACKAGES)
    for package, folder in BUNDLED.items():
        found.append(package)
        below = find_namespace_packages(folder, exclude=NOT_PACKAGES)
        found += [f"{package}.{sub}" for sub in below]
    return found


setup(packages=packages(), package_dir=BUNDLED)
