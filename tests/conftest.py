"""Shared fixtures of the pytest suites: where the media are, and a fresh extraction cache.

Paths:
- `sample_media/` (in the repository): short real clips and two photos, always there.
- `tests/fixtures/`: tiny odd media files (rotation, EXIF, 16-bit, bogus fps, ...), see its README.md.
- `../shared/media/` beside the clone: the full real clips; tests that need them skip when it is absent.

The browser tests' fixtures (`browser`, `free_port`, `lab_server`) are here too; their helpers are in `browser_support.py`.
"""
from __future__ import annotations
import os, shutil, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_MEDIA = REPO/'sample_media'
FIXTURES = REPO/'tests'/'fixtures'
SHARED_MEDIA = Path(__file__).resolve().parents[2]/'shared'/'media'

def media_or_skip(folder:Path, name:str)->Path:
    "Path of `name` in `folder`, or skip the test, saying which file is missing."
    p = folder/name
    if not p.exists(): pytest.skip(f"{p} is not there (it belongs to {folder.name}/, which this checkout lacks)")
    return p

def facemimic_command()->list:
    "The `facemimic` console script of the Python running the tests (the venv's in CI)."
    here = Path(sys.executable).parent/'facemimic'
    found = str(here) if here.exists() else shutil.which('facemimic')
    if not found: pytest.fail("the `facemimic` console script is not installed: run `pip install -e \".[dev]\"`")
    return [found]

@pytest.fixture(scope='session', autouse=True)
def facemimic_cache(tmp_path_factory):
    "A fresh, empty `FACEMIMIC_CACHE` for the whole run, seen by `extract` and by CLI subprocesses."
    cache = tmp_path_factory.mktemp('facemimic-cache')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('FACEMIMIC_CACHE', str(cache))
        mp.delenv('FACEMIMIC_MODEL', raising=False)
        yield cache

@pytest.fixture(scope='session')
def sample_media()->Path:
    "The repository's `sample_media/` folder."
    assert SAMPLE_MEDIA.is_dir(), f"{SAMPLE_MEDIA} is missing from the checkout"
    return SAMPLE_MEDIA

@pytest.fixture(scope='session')
def fixtures_dir()->Path:
    "`tests/fixtures/`, the odd media files."
    if not FIXTURES.is_dir(): pytest.skip(f"{FIXTURES} is not there")
    return FIXTURES

@pytest.fixture(scope='session')
def shared_media()->Path:
    "`../shared/media/` beside the clone, or skip."
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"{SHARED_MEDIA} is not there: these tests need the real clips of ../shared/media beside the clone")
    return SHARED_MEDIA

# --- browser tests (helpers in browser_support.py) ------------------------------------------------------

@pytest.fixture(scope='module')
def browser():
    "Headless Chromium through Playwright, for one test module (skip when either is missing)."
    from browser_support import CHROMIUM, LAUNCH_ARGS, needs_chromium
    if needs_chromium.args[0]: pytest.skip(needs_chromium.kwargs['reason'])
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try: yield b
        finally: b.close()

@pytest.fixture
def free_port()->int:
    "A TCP port on 127.0.0.1 that nothing listens on now."
    from browser_support import free_port as port
    return port()

@pytest.fixture
def lab_server():
    "Start JupyterLab on a folder: `lab_server(folder)` returns the running `Server`; every one started is stopped after the test."
    from browser_support import start_jupyterlab
    started = []
    def start(folder:Path):
        started.append(start_jupyterlab(Path(folder)))
        return started[-1]
    try: yield start
    finally:
        for server in started: server.stop()
