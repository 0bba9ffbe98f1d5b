"""`pip install` of the built wheel (not editable) serves the game: the templates and the static
files travel as the bridge's package data. Built and installed offline, into a fresh virtual
environment that borrows only the dependencies from this one, and run outside the repository."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

from tests.conftest import REPO_DIR
from tests.helpers import child

SOURCES = ("pyproject.toml", "README.md", "block_attack", "server", "bridge", "web", "static")


def _run(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(arg) for arg in argv], capture_output=True, text=True,
                            timeout=120, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_installed_wheel_serves_the_page_and_static_files(tmp_path: Path) -> None:
    # A copy of the sources, so the build leaves nothing in the work tree.
    source = tmp_path / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path = REPO_DIR / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("block_attack-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                   .stdout.strip())
    # The dependencies from this environment: a plain path line, so its .pth hooks (such as an
    # editable install's finder) do not run there.
    (purelib / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = _run(python, "-c", "import bridge.settings as s; print(s.WEB_DIR); print(s.STATIC_DIR)",
                 cwd=outside, env=env).stdout.split()
    assert where == [str(purelib / "bridge" / "web"), str(purelib / "bridge" / "static")]

    log = tmp_path / "play.log"
    with (log.open("w") as stderr,
          child([venv / "bin" / "block-attack", "play", "--port", "0"], cwd=outside, env=env,
                stderr=stderr) as play):
        assert play.stdout is not None
        lines = [play.stdout.readline() for _ in range(2)]  # the UDP server, then the page
        assert lines[1].startswith("open http://127.0.0.1:"), (lines, log.read_text())
        url = lines[1].split()[1]
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert response.status == 200 and "<!doctype html>" in page.lower()
        assert 'src="/static/js/main.js"' in page or "/static/js/" in page
        with urllib.request.urlopen(url + "static/js/main.js", timeout=10) as response:
            assert response.read() == (REPO_DIR / "static" / "js" / "main.js").read_bytes()
        play.send_signal(signal.SIGTERM)
        assert play.wait(timeout=30) == 0
