"""A pretix installation for the ``pretix`` tests: its own virtualenv and a migrated SQLite
template, made once per pretix version and cached outside the repository.

pretix pins its own Django stack, so it never shares our venv: it is installed from the
package index into ``<cache>/venv`` (with ``uv`` when present — ~8 s instead of pip's
~35 s). Its database is made once into a template file and every test server starts
from a copy. By default the template is made from pretix's models (``migrate
--run-syncdb`` with migrations switched off: ~7 s); ``GATEHOUSE_PRETIX_MIGRATIONS=1``
runs pretix's ~500 migrations instead (~90–130 s, CPU-bound). On SQLite the two give
the same tables, columns and indexes (compared for pretix 2026.8.0: only the spelling
``bigint``/``INTEGER`` of some key columns differs, one affinity, and the migrations
add a default admin user these tests never use). The cache is
``$GATEHOUSE_PRETIX_DIR``, else ``$XDG_CACHE_HOME/gatehouse/pretix-<spec>``
(``~/.cache`` by default). Nothing of pretix ever enters the repository.

    python -m tests.pretix.environment setup     # what `make test-pretix` runs first

``PretixUnavailable`` says why pretix could not be made ready (no network, no package
index): the tests then FAIL with that reason, they never skip silently.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: What ``make test-pretix`` installs (override with GATEHOUSE_PRETIX_SPEC).
DEFAULT_SPEC = "pretix==2026.8.0"
HERE = Path(__file__).resolve().parent

CONFIG = """[pretix]
instance_name=gatehouse-test
url={base_url}
currency=EUR
datadir={datadir}
ecb_rates=false
registration=false
password_reset=false
loglevel=WARNING

[locale]
default=en
timezone=UTC

[database]
backend=sqlite3
name={db}

[django]
secret=gatehouse-test-only-not-a-secret-0123456789abcdef
debug=false

[mail]
from=pretix@localhost
host=127.0.0.1
port=9
"""

#: A settings module beside pretix.cfg: mail never leaves (locmem), and SQLite takes its
#: write lock at BEGIN, so concurrent check-ins wait instead of failing "database is
#: locked" (REPORT: 8 parallel redeems gave 500s without it).
SETTINGS = """from pretix.settings import *  # noqa: F401,F403
EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'
DATABASES['default'].setdefault('OPTIONS', {}).update(
    {'transaction_mode': 'IMMEDIATE', 'timeout': 30}
)
"""

#: Added for building the template from the models: every app "has no migrations".
NO_MIGRATIONS = """
class _NoMigrations(dict):
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


MIGRATION_MODULES = _NoMigrations()
"""


class PretixUnavailable(RuntimeError):
    """pretix could not be installed or prepared; the message says why and what to do."""


@dataclass(frozen=True)
class PretixEnv:
    root: Path
    spec: str

    @property
    def python(self) -> Path:
        return self.root / "venv" / "bin" / "python"

    @property
    def template(self) -> Path:
        mode = "migrations" if _by_migrations() else "models"
        return self.root / f"template-{mode}.sqlite3"

    def write_instance(self, workdir: Path, base_url: str) -> dict[str, str]:
        """pretix.cfg and the settings module for one instance in ``workdir``; returns
        the environment to run pretix with."""
        datadir = workdir / "data"
        datadir.mkdir(parents=True, exist_ok=True)
        cfg = workdir / "pretix.cfg"
        cfg.write_text(CONFIG.format(base_url=base_url, datadir=datadir, db=datadir / "db.sqlite3"))
        (workdir / "gh_pretix_settings.py").write_text(SETTINGS)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(
            PRETIX_CONFIG_FILE=str(cfg),
            DJANGO_SETTINGS_MODULE="gh_pretix_settings",
            PYTHONPATH=str(workdir),
            PYTHONUNBUFFERED="1",
        )
        return env


def default_root(spec: str) -> Path:
    explicit = os.environ.get("GATEHOUSE_PRETIX_DIR")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "gatehouse" / ("pretix-" + re.sub(r"[^A-Za-z0-9.]+", "-", spec))


def prepare(spec: str | None = None, root: Path | None = None, log: bool = True) -> PretixEnv:
    """Install and migrate when missing; instant when the cache is complete."""
    spec = spec or os.environ.get("GATEHOUSE_PRETIX_SPEC") or DEFAULT_SPEC
    env = PretixEnv(root or default_root(spec), spec)
    env.root.mkdir(parents=True, exist_ok=True)
    if not _installed(env):
        _install(env, log)
    if not env.template.exists():
        _migrate(env, log)
    return env


def _installed(env: PretixEnv) -> bool:
    if not env.python.exists():
        return False
    done = subprocess.run(
        [str(env.python), "-c", "import pretix"], capture_output=True, check=False, timeout=60
    )
    return done.returncode == 0


def _install(env: PretixEnv, log: bool) -> None:
    venv = env.root / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv:
        steps = [
            [uv, "venv", "-q", "-p", sys.executable, str(venv)],
            [uv, "pip", "install", "-q", "-p", str(env.python), env.spec],
        ]
    else:
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(env.python), "-m", "pip", "install", "-q", env.spec],
        ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False, timeout=900)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise PretixUnavailable(
                f"cannot install {env.spec} from the package index ({' '.join(step[:3])}…"
                f" exited {done.returncode}): {' | '.join(tail)}. The pretix tests need"
                " network access to PyPI once; then the install is cached in"
                f" {env.root}"
            )
    if log:
        print(f"installed {env.spec} in {time.monotonic() - started:.1f} s", file=sys.stderr)


def _by_migrations() -> bool:
    return os.environ.get("GATEHOUSE_PRETIX_MIGRATIONS", "") not in ("", "0")


def _migrate(env: PretixEnv, log: bool) -> None:
    started = time.monotonic()
    by_migrations = _by_migrations()
    with tempfile.TemporaryDirectory(prefix="pretix-migrate-") as tmp:
        work = Path(tmp)
        run_env = env.write_instance(work, "http://127.0.0.1:9")
        settings = work / "gh_pretix_settings.py"
        steps = [["migrate", "--noinput", "-v0"]]
        if not by_migrations:
            # tables from the models, then every migration recorded as applied (as a
            # migrated database has them), so pretix finds nothing left to migrate
            settings.write_text(SETTINGS + NO_MIGRATIONS)
            steps = [
                ["migrate", "--run-syncdb", "--noinput", "-v0"],
                ["migrate", "--fake", "--noinput", "-v0"],
            ]
        for i, step in enumerate(steps):
            if i:
                settings.write_text(SETTINGS)
            done = subprocess.run(
                [str(env.python), "-m", "pretix", *step],
                env=run_env,
                cwd=work,
                capture_output=True,
                text=True,
                check=False,
                timeout=900,
            )
            if done.returncode != 0:
                raise PretixUnavailable(
                    f"pretix {' '.join(step)} failed: {done.stderr.strip()[-2000:]}"
                )
        part = env.template.with_suffix(".part")
        shutil.copyfile(work / "data" / "db.sqlite3", part)
        part.replace(env.template)
    if log:
        how = "its migrations" if by_migrations else "its models"
        took = time.monotonic() - started
        print(f"made pretix's database from {how} in {took:.1f} s", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description="prepare pretix for the pretix tests")
    parser.add_argument("action", choices=["setup", "where"])
    args = parser.parse_args()
    try:
        env = prepare() if args.action == "setup" else PretixEnv(default_root(DEFAULT_SPEC), "")
    except PretixUnavailable as exc:
        print(f"pretix tests: {exc}", file=sys.stderr)
        return 1
    print(env.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
