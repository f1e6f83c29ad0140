"""What a user of the command line gets (issue 13, items 2, 6 and 8): the summary page of `facemimic analyze`, on a phone
too; the technical details collapsed in the report; `facemimic compare REF IMIT1 IMIT2 ...` ranking several imitations;
messages that name the command line's flags.

Run alone with `pytest -q tests/test_exports2.py`. One short sample clip analysed (every 2nd frame, no video) and three
short comparisons, from the extraction cache when it is warm; the phone check needs Chromium (`/usr/bin/chromium`, or
`$FACEMIMIC_CHROMIUM`) and Playwright and is skipped without them."""
from __future__ import annotations
import contextlib, io, json, os, warnings
from pathlib import Path
import pandas as pd
import pytest
from facemimic.cli import cli_words, main
from facemimic.media import sample_path
from test_report import PHONE, phone_overflow

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get('FACEMIMIC_CHROMIUM', '/usr/bin/chromium'))
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']

def run(*argv)->tuple:
    "Run the `facemimic` command in this process: (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()

@pytest.fixture(scope='module')
def analysed(tmp_path_factory):
    "The folder `facemimic analyze` wrote for the sample smile clip (every 2nd frame, no video), and its stderr."
    folder = tmp_path_factory.mktemp('analyze')/'out'
    rc, _, err = run('analyze', sample_path('d0_smile.mp4'), '--out', folder, '--no-video', '--every', 2)
    assert rc == 0, err
    return folder, err

def test_analyze_writes_the_summary_page(analysed):
    folder, err = analysed
    summary = json.loads((folder/'summary.json').read_text())
    assert summary['files']['page'] == 'summary.html' and (folder/'summary.html').is_file()
    page = (folder/'summary.html').read_text()
    assert page.startswith('<!DOCTYPE html>') and "default-src 'none'" in page and '<script' not in page
    assert page.count('<img src="data:image/png;base64,') == 2 # the label timeline and the PCA by time and by label
    assert '<details class="technical"><summary>Technical details</summary>' in page
    for name in summary['files'].values(): assert f'<td>{name}</td>' in page, name # every export is listed ...
    assert 'AU12' in page and 'x_px_0 … x_px_67' in page # ... with its columns
    for e in summary['smile']['episodes']: assert f"{e['start_frame']}-{e['end_frame']}" in page
    assert not [p.name for p in folder.iterdir() if p.name.startswith('.')] # nothing half-written

@pytest.fixture(scope='module')
def browser():
    if not CHROMIUM.exists(): pytest.skip(f'needs Chromium at {CHROMIUM}')
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try: yield b
        finally: b.close()

def check_phone(browser, html:Path, shot:str):
    "At 390x844 nothing sticks out sideways, with the technical details folded (as the page opens) and unfolded."
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(html.as_uri(), wait_until='load')
        fit = phone_overflow(page, '.table-wrap')
        assert fit['page'] <= fit['window'] and not fit['outside'], fit
        details = page.locator('details.technical')
        assert details.evaluate('d => d.open') is False # collapsed until asked for
        page.locator('details.technical > summary').click()
        assert details.evaluate('d => d.open') is True and page.locator('details.technical table').first.is_visible()
        fit = phone_overflow(page, '.table-wrap') # open, it fits too
        assert fit['page'] <= fit['window'] and not fit['outside'], fit
        (REPO/'artifacts').mkdir(exist_ok=True)
        page.screenshot(path=str(REPO/'artifacts'/shot), full_page=True)
    finally: page.close()

def test_summary_page_fits_a_phone(analysed, browser):
    check_phone(browser, analysed[0]/'summary.html', 'summary_phone.png')

# ---- several imitations of one reference, ranked ----

@pytest.fixture(scope='module')
def ranked(tmp_path_factory):
    "`facemimic compare` with two imitations and a photo without a face, written to a folder."
    folder = tmp_path_factory.mktemp('ranking')/'out'
    clips = [sample_path(n) for n in ('d18_pucker.mp4', 'single_face_smile.mp4', 'no_face.jpg')]
    return folder, run('compare', sample_path('d0_smile.mp4'), *clips, '--out', folder)

def test_compare_ranks_several_imitations(ranked):
    folder, (rc, out, err) = ranked
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ['rank', 'score', 'imitation'] and 'first thing to do' in lines[0]
    assert lines[1].split()[:3][::2] == ['1', 'single_face_smile.mp4'] and lines[2].split()[:3][::2] == ['2', 'd18_pucker.mp4'] # the smile first
    table = pd.read_csv(folder/'ranking.csv')
    assert table['rank'].tolist() == [1, 2] and table.score.is_monotonic_decreasing
    assert table.report.tolist() == ['single_face_smile', 'd18_pucker']
    for sub in table.report: assert (folder/sub/'report.html').is_file() and (folder/sub/'regions.csv').is_file()
    best = json.loads((folder/'single_face_smile'/'result.json').read_text())
    assert abs(best['score'] - table.score[0]) < 0.01 # the table's score is the report's
    assert 'warning: no_face.jpg was not ranked: No face was found in no_face.jpg' in err # the others are still ranked
    assert 'or a higher resolution.' in err and 'max_side' not in err # compare has no --max-side: no Python keyword, no made-up flag

def test_report_technical_details_fit_a_phone(ranked, browser):
    check_phone(browser, ranked[0]/'single_face_smile'/'report.html', 'report_technical_phone.png')

def test_compare_several_checks_the_paths_before_the_work(tmp_path):
    rc, out, err = run('compare', sample_path('d0_smile.mp4'), sample_path('d18_pucker.mp4'), tmp_path/'missing.mp4', '--out', tmp_path/'o')
    assert rc == 2 and err.startswith('facemimic compare: error: ') and 'missing.mp4: not found' in err and len(err.splitlines()) == 1
    assert not (tmp_path/'o').exists()

def test_one_imitation_is_compared_as_before(tmp_path):
    "With one imitation, `compare` prints the score and writes one report, as it always did."
    rc, out, err = run('compare', sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4'), '--json')
    assert rc == 0 and 'score' in json.loads(out) and 'components' in json.loads(out)

def test_python_messages_name_keywords_and_the_cli_names_flags(tmp_path):
    "The same mistake: Python's message gives the keyword, the command line's the flag."
    from facemimic.errors import OptionError
    from facemimic.expressions import analyze
    (tmp_path/'file').write_text('x')
    with pytest.raises(OptionError, match=r'^out_dir .* is a file'): analyze(sample_path('astronaut.png'), tmp_path/'file')
    rc, _, err = run('analyze', sample_path('astronaut.png'), '--out', tmp_path/'file')
    assert rc == 2 and err.startswith('facemimic analyze: error: --out ') and 'out_dir' not in err
    rc, _, err = run('extract', sample_path('astronaut.png'), '--out', tmp_path/'a.csv', '--every', '0')
    assert rc == 2 and err == 'facemimic extract: error: --every 0: give a whole number of at least 1.\n'

def test_compare_several_as_json():
    "With --json the ranking's rows go to stdout, and nothing else."
    rc, out, err = run('compare', sample_path('d0_smile.mp4'), sample_path('d18_pucker.mp4'), sample_path('single_face_smile.mp4'), '--json')
    rows = json.loads(out)
    assert rc == 0 and [r['rank'] for r in rows] == [1, 2] and rows[0]['imitation'] == 'single_face_smile.mp4' and err == ''
    assert rows[0]['score'] > rows[1]['score'] and 'report' not in rows[0] # no --out: no report folders

def test_package_analyze_writes_the_page(tmp_path):
    "`facemimic.analyze` is `expressions.analyze` with the summary page, as from the command line."
    import facemimic
    summary = facemimic.analyze(sample_path('astronaut.png'), tmp_path, video=False)
    assert summary['files']['page'] == 'summary.html' and (tmp_path/'summary.html').read_text().startswith('<!DOCTYPE html>')
