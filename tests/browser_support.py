"""What the browser tests share: headless Chromium through Playwright, free ports on 127.0.0.1, our server processes
(JupyterLab, Voilà), small notebooks, screenshots and slider keys.

The fixtures built on these (`browser`, `free_port`, `lab_server`) are in `tests/conftest.py`. A browser test module
sets `pytestmark = needs_chromium`, so that it is skipped, before its own fixtures do any work, when Chromium
(`/usr/bin/chromium`, or `$FACEMIMIC_CHROMIUM`) or the playwright package is missing; `playwright install` is never run.
Screenshots and pages go to `artifacts/` at the repository root (git-ignored)."""
from __future__ import annotations
import importlib.util, json, os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO/'artifacts'
CHROMIUM = Path(os.environ.get('FACEMIMIC_CHROMIUM', '/usr/bin/chromium'))
LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
               '--no-first-run', '--autoplay-policy=no-user-gesture-required']

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() or importlib.util.find_spec('playwright') is None,
                                    reason=f'needs Chromium at {CHROMIUM} and the playwright package')

def free_port()->int:
    "A TCP port on 127.0.0.1 that nothing listens on now."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Server:
    "A server process of ours (JupyterLab or Voilà) on 127.0.0.1; `stop()` ends it and its kernels."
    def __init__(self, cmd:list, url:str, folder:Path, name:str):
        self.url, self.log_path = url, folder/f'{name}.log'
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(folder/'runtime'), JUPYTER_CONFIG_DIR=str(folder/'config'),
                   PYTHONUNBUFFERED='1', MPLBACKEND='Agg')
        self._log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, path:str|None=None, timeout:float=90):
        "Wait until `path` answers 200 (or, with no path, until the port accepts connections)."
        deadline, port = time.time() + timeout, int(self.url.rsplit(':', 1)[1])
        while time.time() < deadline:
            if self.proc.poll() is not None: break
            try:
                if path is None:
                    with socket.create_connection(('127.0.0.1', port), timeout=2): return
                with urllib.request.urlopen(self.url + path, timeout=5) as r:
                    if r.status == 200: return
            except OSError: time.sleep(0.5)
        raise RuntimeError(f"the server at {self.url} did not start; its log:\n{self.log()}")

    def log(self)->str: return self.log_path.read_text()[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM) # both servers shut their kernels down on SIGTERM
            try: self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait(10)
        self._log.close()

def jupyterlab_command(port:int, folder:Path)->list:
    "JupyterLab on 127.0.0.1:`port`, no token, serving `folder`, with its workspaces and settings inside it."
    return [sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ServerApp.ip=127.0.0.1', '--ServerApp.token=',
            '--ServerApp.password=', '--ServerApp.allow_root=True', f'--ServerApp.root_dir={folder}', '--ServerApp.open_browser=False',
            '--LabApp.expose_app_in_browser=True', f'--LabApp.workspaces_dir={folder/"workspaces"}',
            f'--LabApp.user_settings_dir={folder/"settings"}', '--LabApp.news_url=None']

def start_jupyterlab(folder:Path)->Server:
    "Start JupyterLab on `folder` and a free port, and wait until it answers; the caller stops it."
    port = free_port()
    server = Server(jupyterlab_command(port, folder), f'http://127.0.0.1:{port}', folder, 'jupyterlab')
    try: server.wait_ready('/api/status')
    except BaseException: server.stop(); raise
    return server

KERNEL_IDLE = ("() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
               " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
               " return k && k.status === 'idle'; }")

def run_notebook_in_lab(page, server:Server, name:str):
    "Open notebook `name` of the server's folder in JupyterLab (fresh workspace), wait for its kernel, and run all its cells."
    page.goto(f'{server.url}/lab/tree/{name}?reset', timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

def notebook(path:Path, *sources:str):
    "Write a notebook of code cells with `sources` to `path`."
    cells = [dict(cell_type='code', execution_count=None, metadata={}, outputs=[], source=s) for s in sources]
    path.write_text(json.dumps(dict(cells=cells, metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')),
                                    nbformat=4, nbformat_minor=5)))

def shot(page, name:str, selector:str|None=None):
    "Screenshot the page (or the first element matching `selector`) to `artifacts/name`."
    ARTIFACTS.mkdir(exist_ok=True)
    (page.locator(selector).first if selector else page).screenshot(path=str(ARTIFACTS/name))

def press(page, handle_selector:str, *keys:str):
    "Focus a slider's handle and press keys on it, as a keyboard user does."
    page.locator(handle_selector).first.focus()
    for k in keys: page.keyboard.press(k)
