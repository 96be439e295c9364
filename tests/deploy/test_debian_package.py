"""`make bundle` as CI can check it without a Pi: the .deb's metadata and contents,
lintian, an install into a throwaway root (dpkg --root, maintainer scripts chrootless:
they honour DPKG_ROOT) that builds the virtualenv from the bundle's wheels alone, the
units through systemd-analyze verify, and a removal that keeps the data dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VERSION = "0.1.0"


def run(*argv: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    tar = run("bash", REPO_ROOT / "scripts/build-bundle.sh", env={"DIST": str(dist)}).strip()
    assert tar.splitlines()[-1].endswith(".tar")
    (folder,) = (p for p in dist.iterdir() if p.is_dir())
    return folder


def test_the_package_says_what_it_is_and_holds_what_the_box_needs(bundle: Path) -> None:
    deb = bundle / f"gatehouse_{VERSION}_all.deb"
    info = run("dpkg-deb", "--info", deb)
    assert "Package: gatehouse" in info and f"Version: {VERSION}" in info
    assert "Depends: python3 (>= 3.11), python3 (<< 3.12), adduser, systemd, udev" in info
    assert "conffiles" in info
    contents = run("dpkg-deb", "--contents", deb)
    for path in (
        f"./opt/gatehouse/wheels/gatehouse-{VERSION}-py3-none-any.whl",
        "./lib/systemd/system/gatehouse.service",
        "./lib/systemd/system/gatehouse-nats.service",
        "./lib/udev/rules.d/70-gatehouse-scanners.rules",
        "./usr/lib/systemd/journald.conf.d/60-gatehouse.conf",
        "./etc/gatehouse/config.toml",
        "./usr/bin/edge-agent -> /opt/gatehouse/venv/bin/edge-agent",
    ):
        assert path in contents, path
    assert shutil.which("lintian"), "lintian is missing: scripts/ensure-system-deps.sh installs it"
    run("lintian", "--fail-on", "error,warning", deb)


def test_the_bundle_is_whole_and_offline(bundle: Path) -> None:
    done = subprocess.run(
        ["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stdout
    wheels = {p.name.split("-")[0].lower() for p in (bundle / "wheels").glob("*.whl")}
    needed = {"pip", "aiohttp", "cryptography", "evdev", "prometheus_client", "sqlite_utils"}
    assert needed <= wheels
    assert not list((bundle / "wheels").glob("gatehouse-*"))  # the .deb carries its own
    script = (bundle / "install.sh").read_text()
    assert "@ARCH@" not in script and "dpkg -i gatehouse_0.1.0_all.deb" in script


def test_install_into_a_throwaway_root_then_remove(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/cache/gatehouse/wheels"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    for wheel in (bundle / "wheels").glob("*.whl"):  # what install.sh copies there
        shutil.copy(wheel, root / "var/cache/gatehouse/wheels")
    dpkg = ("dpkg", f"--root={root}", "--force-script-chrootless", "--log=/dev/null")
    # Depends are the host's business (apt-get -f install on a Pi); here: files and scripts
    run(*dpkg, "--force-depends", "-i", bundle / f"gatehouse_{VERSION}_all.deb")

    venv = root / "opt/gatehouse/venv"
    assert venv.is_symlink() and os.readlink(venv) == f"venv-{VERSION}"
    assert run(venv / "bin/edge-agent", "--version").strip() == f"edge-agent {VERSION}"
    run(venv / "bin/python", "-c", "import edge_agent.metrics.collector, sqlite_utils, evdev")
    assert (root / "var/lib/gatehouse").stat().st_mode & 0o777 == 0o700
    assert (root / "etc/gatehouse/config.toml").read_text().startswith("# Gatehouse edge agent")

    # the units as installed, pointed at this root (and the mesh's server, which the
    # mesh's own dependency brings, at /bin/true), must verify without a word
    units = tmp_path / "units"
    units.mkdir()
    for name in ("gatehouse.service", "gatehouse-nats.service"):
        text = (root / "lib/systemd/system" / name).read_text()
        text = text.replace("/opt/gatehouse/venv/bin/nats-server", "/bin/true")
        (units / name).write_text(text.replace("/opt/gatehouse/", f"{root}/opt/gatehouse/"))
    if shutil.which("systemd-analyze"):
        done = subprocess.run(
            ["systemd-analyze", "verify", *map(str, sorted(units.iterdir()))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done.stderr

    run(*dpkg, "-r", "gatehouse")
    assert not (root / "opt/gatehouse/venv").exists()
    assert not list((root / "opt/gatehouse").glob("venv-*"))
    assert (root / "var/lib/gatehouse").is_dir()  # the ledger is evidence: never removed
