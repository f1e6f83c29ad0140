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

@pytest.mark.skipif(not CHROMIUM.exists(), reason=f'needs Chromium at {CHROMIUM}')
def test_summary_page_fits_a_phone(analysed):
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    folder, _ = analysed
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto((folder/'summary.html').as_uri(), wait_until='load')
            fit = phone_overflow(page, '.table-wrap')
            assert fit['page'] <= fit['window'] and not fit['outside'], fit
            details = page.locator('details.technical')
            assert details.evaluate('d => d.open') is False # collapsed until asked for
            page.locator('details.technical > summary').click()
            assert details.evaluate('d => d.open') is True
            fit = phone_overflow(page, '.table-wrap') # open, it fits too
            assert fit['page'] <= fit['window'] and not fit['outside'], fit
            (REPO/'artifacts').mkdir(exist_ok=True)
            page.screenshot(path=str(REPO/'artifacts'/'summary_phone.png'), full_page=True)
        finally: browser.close()
