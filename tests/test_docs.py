"""README.md is rendered from nbs/index.ipynb (tools/make_readme.py) and the docs configuration is complete.

Quarto is not installed on the CI machine, so these check what can be checked without it."""
from __future__ import annotations
import importlib.util, json, re
from pathlib import Path
import pytest
import yaml
from conftest import REPO

def load_make_readme():
    spec = importlib.util.spec_from_file_location('make_readme', REPO/'tools'/'make_readme.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def test_readme_is_up_to_date_with_index():
    make_readme = load_make_readme()
    assert (REPO/'README.md').read_text(encoding='utf-8') == make_readme.render(), \
        "README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py` and commit README.md"

def test_make_readme_rules(tmp_path):
    "Markdown as is; code as ```python without directives; hidden cells and outputs left out."
    cells = [dict(cell_type='markdown', source=['# Title\n', '\n', '> what it is']),
             dict(cell_type='code', source='#| hide\nfrom fastcore.test import *'),
             dict(cell_type='code', source='#| eval: false\nimport facemimic', outputs=[dict(text='0.1.0')]),
             dict(cell_type='code', source='#| echo: false\nprint(1)'),
             dict(cell_type='raw', source='ignored')]
    nb = tmp_path/'index.ipynb'; nb.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)))
    text = load_make_readme().render(nb)
    assert text.endswith('# Title\n\n> what it is\n\n```python\nimport facemimic\n```\n')
    assert 'fastcore' not in text and 'print(1)' not in text and '0.1.0' not in text and 'ignored' not in text

def test_index_has_title_and_description():
    nb = json.loads((REPO/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    first = ''.join(nb['cells'][0]['source'])
    assert nb['cells'][0]['cell_type'] == 'markdown' and re.match(r'# facemimic\n\n> \S', first)

def test_readme_commands_and_links():
    readme = (REPO/'README.md').read_text(encoding='utf-8')
    assert 'pip install -e ".[dev]"' in readme and 'bash .ci/test' in readme
    run = re.search(r'facemimic compare (\S+) (\S+) --out \S+', readme)
    assert run, "the README's run command is missing"
    for sample in run.groups(): assert (REPO/sample).is_file(), f"the README's run command uses {sample}, which is not in the repository"
    for rel in re.findall(r'https://github\.com/facemimic/facemimic/blob/main/([\w./-]+)', readme):
        assert (REPO/rel).exists(), f"README links to {rel}, which does not exist"
    assert (REPO/'.ci'/'test').is_file() and (REPO/'LICENSE').is_file() and (REPO/'CONTRIBUTING.md').is_file()
    assert 'GPL-3.0' in readme and 'Apache' in readme

def test_licence_is_apache():
    text = (REPO/'LICENSE').read_text(encoding='utf-8')
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text and 'END OF TERMS AND CONDITIONS' in text

@pytest.fixture(scope='module')
def docs_config():
    nbs = REPO/'nbs'
    return {name: yaml.safe_load((nbs/name).read_text(encoding='utf-8')) for name in ('_quarto.yml', 'nbdev.yml', 'sidebar.yml')}

def test_quarto_config(docs_config):
    q = docs_config['_quarto.yml']
    assert q['project']['type'] == 'website'
    assert q['format']['html']['theme'] == 'cosmo' and q['format']['html']['css'] == 'styles.css'
    assert (REPO/'nbs'/'styles.css').is_file()
    assert set(q['metadata-files']) == {'nbdev.yml', 'sidebar.yml'}
    assert q['website']['sidebar']['style'] == 'floating'
    assert any(item.get('icon') == 'github' for item in q['website']['navbar']['right'])

def test_nbdev_yml_is_what_nbdev_writes():
    "nbdev_docs and nbdev_proc_nbs rewrite nbs/nbdev.yml from settings.ini: the committed one must match."
    from nbdev.config import get_config
    from nbdev.quarto import _nbdev_yml
    cfg = get_config(path=REPO)
    vals = {k: cfg[k] for k in ['title', 'description', 'branch', 'git_url', 'doc_host', 'doc_baseurl']}
    vals['doc_path'] = cfg.doc_path.name
    assert (REPO/'nbs'/'nbdev.yml').read_text(encoding='utf-8') == _nbdev_yml.format(**vals)

def _sidebar_files(contents)->list:
    out = []
    for item in contents:
        if isinstance(item, str): out.append(item)
        elif isinstance(item, dict): out += _sidebar_files(item.get('contents', [])) + ([item['href']] if 'href' in item else [])
    return out

def test_sidebar_lists_every_notebook(docs_config):
    "Every notebook in nbs/ (and nbs/tutorials/) is in the hand-kept sidebar.yml."
    listed = _sidebar_files(docs_config['sidebar.yml']['website']['sidebar']['contents'])
    assert listed[0] == 'index.ipynb' and len(listed) == len(set(listed))
    nbs = REPO/'nbs'
    present = [p.relative_to(nbs).as_posix() for p in sorted(nbs.rglob('*.ipynb'))
               if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts)]
    missing = [p for p in present if p not in listed]
    assert not missing, f"add these notebooks to nbs/sidebar.yml: {missing}"

def test_workflows_exist():
    wf = REPO/'.github'/'workflows'
    deploy, test = yaml.safe_load((wf/'deploy.yaml').read_text()), yaml.safe_load((wf/'test.yaml').read_text())
    assert 'jobs' in deploy and 'jobs' in test
    assert 'nbdev_docs' in (wf/'deploy.yaml').read_text() or 'quarto-ghp' in (wf/'deploy.yaml').read_text()
    assert '.ci/run' in (wf/'test.yaml').read_text()

def test_readme_lists_every_command():
    "The README's command-line table has a row for every subcommand of `facemimic`, and no row for one that does not exist."
    import argparse
    from facemimic.cli import build_parser
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    readme = (REPO/'README.md').read_text(encoding='utf-8')
    listed = re.findall(r'^\| `facemimic (\w+)', readme, flags=re.M)
    assert sorted(listed) == sorted(sub.choices), f"README's command table lists {sorted(listed)}; the CLI has {sorted(sub.choices)}"
