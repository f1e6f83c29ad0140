"""The module map holds: data flows down `LAYERS`, and a module imports only from modules above it.

Run it alone with `pytest -q tests/test_layers.py`. Every import counts, at the top of a module or inside a
function (a late import is still a dependency); the package root `facemimic/__init__.py` is the facade over
all of them and is not checked.
"""
from __future__ import annotations
import ast, subprocess, sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]/'facemimic'

LAYERS = ['errors', 'io', 'geometry', 'topology', 'track', 'backends', 'media', 'extraction', 'landmarks', 'vocab', 'regions', 'ibug68', 'features', 'segment', 'similarity', 'components', 'result',
          'compare', 'advice', 'expressions', 'episodes', 'streaming', 'transfer', 'plots', 'video', 'report', 'cohort', 'identity', 'explorer', 'annotate',
          'camera', 'app', 'cli'] # top (imports nothing) to bottom; a name here may come before its module does

def modules()->dict:
    "{dotted name below the package: path} of every module but `__init__` and `_modidx`."
    out = {}
    for p in sorted(PACKAGE.rglob('*.py')):
        if p.name in ('__init__.py', '_modidx.py'): continue
        out['.'.join(p.relative_to(PACKAGE).with_suffix('').parts)] = p
    return out

def imports_of(name:str, path:Path)->set:
    "The facemimic modules that module `name` imports, anywhere in its code."
    mods, base, found = modules(), name.split('.')[:-1], set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            root = '.'.join(['facemimic'] + base[:len(base) - node.level + 1] + ([node.module] if node.module else [])) if node.level else (node.module or '')
            targets = [root] + [f'{root}.{a.name}' for a in node.names]
        else: continue
        for t in targets:
            if not t.startswith('facemimic.'): continue
            t = t[len('facemimic.'):]
            while t and t not in mods: t = t.rpartition('.')[0]
            if t and t != name: found.add(t)
    return found

def layer(name:str)->int:
    "Position in `LAYERS` of a module (a module of a subpackage takes its package's place)."
    top = name.split('.')[0]
    return LAYERS.index(name if name in LAYERS else top)

def test_every_module_has_a_layer():
    missing = [m for m in modules() if m not in LAYERS and m.split('.')[0] not in LAYERS]
    assert not missing, f"add these modules to LAYERS in tests/test_layers.py (and to the README's module table): {missing}"

def test_no_module_imports_from_below():
    wrong = [f"{m} imports {t}" for m, p in modules().items() for t in sorted(imports_of(m, p)) if layer(t) > layer(m)]
    assert not wrong, "imports that go up the module map:\n" + '\n'.join(wrong)

def test_import_is_cheap():
    "`import facemimic` loads neither MediaPipe nor OpenCV nor pandas; `facemimic --help` needs no more."
    code = "import sys, facemimic, facemimic.cli; facemimic.cli.build_parser(); print(sorted({'mediapipe', 'cv2', 'pandas', 'scipy'} & set(sys.modules)))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == '[]', r.stdout

def test_batch_summary_draws_no_plots(tmp_path):
    "A batch's tables and summary page need neither matplotlib nor Bokeh (importing them cost each batch 1.3 s)."
    code = ("import sys, pandas as pd; from facemimic.cohort import write_tables; "
            "s = pd.DataFrame(dict(reference=['a.mp4'], imitation=['b.mp4'], score=[80.0], status=['ok'], error=[None], seconds=[0.1])); "
            f"write_tables(s, {str(tmp_path)!r}, 'test'); print(sorted({{'matplotlib', 'bokeh'}} & set(sys.modules)))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().splitlines()[-1] == '[]', r.stdout
    assert (tmp_path/'summary.html').exists() and 'background:' in (tmp_path/'summary.html').read_text() # the colours are there
