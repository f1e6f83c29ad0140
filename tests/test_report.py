"""The comparison report as a reader gets it: the files of `write_report`, and `report.html` opened in headless Chromium.

The browser test opens the page from a file:// URL with the network unused: every image must load
(`naturalWidth > 0`) and the page may request nothing but file:// and data: URLs. A full-page screenshot is kept
in `artifacts/report.png` (git-ignored) for a person to look at. At a phone's size (390 x 844) nothing may stick
out of the screen but inside a wrapper that scrolls sideways, and a click shows a figure full size.
Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by the `playwright` package; never
`playwright install`."""
from __future__ import annotations
import json
from pathlib import Path
import pandas as pd
import pytest
from facemimic.compare import compare
from facemimic.report import write_report
from conftest import REPO

CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
FILES = ['report.html', 'report.md', 'report.txt', 'result.json', 'frames.csv', 'regions.csv', 'side-by-side.mp4']
FIGURES = ['neutral', 'apex', 'superimposed', 'region_map', 'blendshapes', 'cost_matrix', 'timing']

@pytest.fixture(scope='module')
def smile(sample_media):
    "One man's smile imitated by another man's smile (extracted for real: the session's cache starts empty)."
    return compare(sample_media/'d0_smile.mp4', sample_media/'single_face_smile.mp4')

@pytest.fixture(scope='module')
def report(smile, tmp_path_factory)->Path:
    folder = tmp_path_factory.mktemp('reports')/'smile'
    written = write_report(smile, folder)
    assert sorted(written) == sorted(FILES + [f'{f}.png' for f in FIGURES])
    assert all(p.parent == folder and p.is_file() for p in written.values())
    return folder

def test_files_exist_and_parse(report, smile):
    assert sorted(p.name for p in report.iterdir()) == sorted(FILES + [f'{f}.png' for f in FIGURES]) # nothing else, no temp files
    assert json.loads((report/'result.json').read_text()) == smile.to_dict()
    frames = pd.read_csv(report/'frames.csv')
    counts = frames['clip'].value_counts()
    assert counts['reference'] == smile.reference.frames and counts['imitation'] == smile.imitation.frames
    assert frames['apex'].sum() == 2 and frames['aligned_rows'].notna().sum() > 0
    for name in FIGURES:
        assert (report/f'{name}.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n', name
    md, txt = (report/'report.md').read_text(), (report/'report.txt').read_text()
    assert all(f'({f}.png)' in md for f in FIGURES)
    for words in ['Shape at the peak', 'Movement over time', 'Timing', 'Warnings', 'Parameters', 'Versions', 'mediapipe', smile.verdict[:30]]:
        assert words in txt and words in md, words

def test_html_is_self_contained(report):
    page = (report/'report.html').read_text()
    assert '<script' not in page and '<link' not in page and 'url(' not in page
    assert 'src="http' not in page and 'href="http' not in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)

def test_report_opens_offline_in_chromium(report):
    if not CHROMIUM.exists(): pytest.skip(f"{CHROMIUM} is missing (.ci/run installs it with apt-get install chromium)")
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    requests, errors = [], []
    artifacts = REPO/'artifacts'; artifacts.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1100, 'height': 900})
            page.on('request', lambda r: requests.append(r.url))
            page.on('pageerror', lambda e: errors.append(str(e)))
            page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
            page.goto((report/'report.html').as_uri(), wait_until='load')
            images = page.eval_on_selector_all('img', 'imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])')
            title, headline = page.title(), page.inner_text('.headline')
            page.screenshot(path=str(artifacts/'report.png'), full_page=True)
        finally: browser.close()
    assert len(images) == len(FIGURES)
    for alt, complete, width, height in images: assert complete and width > 0 and height > 0, f"image {alt!r} did not load"
    offline = [u for u in requests if not u.startswith(('file://', 'data:'))]
    assert not offline, f"the report asked the network for {offline}"
    assert not errors, errors
    assert 'imitation' in title and '/100' in headline
    assert (artifacts/'report.png').stat().st_size > 10_000

PHONE = {'width': 390, 'height': 844}

# Elements that stick out of the screen sideways, except inside `wrappers` (CSS selector of the elements that scroll sideways
# on purpose); hidden elements do not count. Also the page's and the window's widths.
OVERFLOW_JS = """(wrappers) => {
  const vw = window.innerWidth, out = [];
  const wrapped = e => { for (let a = e.parentElement; a; a = a.parentElement) if (a.matches(wrappers)) return true; return false; };
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    if ((r.right > vw + 1 || r.left < -1) && !wrapped(e))
      out.push(`${e.tagName.toLowerCase()}.${[...e.classList].join('.')} from ${Math.round(r.left)} to ${Math.round(r.right)} px`);
  }
  return {page: document.documentElement.scrollWidth, window: vw, outside: out.slice(0, 20)};
}"""

def phone_overflow(page, wrappers:str)->dict:
    "What sticks out of the screen sideways on `page`: {'page': scrollWidth, 'window': innerWidth, 'outside': [elements]}."
    return page.evaluate(OVERFLOW_JS, wrappers)

def test_report_fits_a_phone(report):
    if not CHROMIUM.exists(): pytest.skip(f"{CHROMIUM} is missing (.ci/run installs it with apt-get install chromium)")
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            (REPO/'artifacts').mkdir(exist_ok=True)
            page = browser.new_page(viewport=PHONE)
            page.goto((report/'report.html').as_uri(), wait_until='load')
            fit = phone_overflow(page, '.table-wrap')
            page.screenshot(path=str(REPO/'artifacts'/'report_phone.png'), full_page=True)
            assert fit['page'] <= fit['window'] and not fit['outside'], fit
            sha = page.locator('td', has_text='model_sha256').first.locator('xpath=following-sibling::td[1]')
            assert sha.bounding_box()['x'] + sha.bounding_box()['width'] <= PHONE['width'] # the hash wraps, its table does not scroll
            # a click shows the figure at full size over the page, another click closes it
            figure = page.locator('figure img').nth(3)
            small = figure.bounding_box()['width']
            natural = figure.evaluate('i => i.naturalWidth')
            assert small < natural and small <= PHONE['width']
            figure.click()
            page.wait_for_function("() => getComputedStyle(document.querySelectorAll('figure label')[3]).position === 'fixed'")
            assert abs(figure.bounding_box()['width'] - natural) <= 2 # the image's own pixels; its layer scrolls
            page.screenshot(path=str(REPO/'artifacts'/'report_phone_figure.png'))
            page.locator('figure label').nth(3).click(position={'x': 5, 'y': 5})
            page.wait_for_function("() => getComputedStyle(document.querySelectorAll('figure label')[3]).position !== 'fixed'")
            assert abs(figure.bounding_box()['width'] - small) <= 2
        finally: browser.close()

def test_failed_report_leaves_nothing(smile, tmp_path, monkeypatch):
    import facemimic.plots
    def broken(*args, **kwargs): raise RuntimeError('drawing failed')
    monkeypatch.setitem(facemimic.plots.FIGURES, 'timing', (broken, None))
    with pytest.raises(RuntimeError, match='drawing failed'): write_report(smile, tmp_path/'out')
    assert list(tmp_path.iterdir()) == []
