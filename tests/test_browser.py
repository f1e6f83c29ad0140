"""The explorers in JupyterLab and the app in Voilà, driven in headless Chromium with Playwright (issue 5).

Each test starts its own server on 127.0.0.1 and a free port, in its own process group, with its own runtime,
settings and workspace folders, and stops it (SIGTERM, which also shuts its kernels down) even when the test
fails. Screenshots go to `artifacts/` at the repository root (git-ignored).

Skipped when Chromium (`/usr/bin/chromium`, or `$FACEMIMIC_CHROMIUM`) or Playwright is missing; never runs
`playwright install`. About a minute with a warm extraction cache, two with an empty one."""
from __future__ import annotations
import base64, json, re
from pathlib import Path
import pytest
from browser_support import Server, needs_chromium, notebook, press, run_notebook_in_lab, shot
from test_report import PHONE, phone_overflow

pytestmark = needs_chromium

@pytest.fixture(scope='module')
def saved_result(tmp_path_factory):
    from facemimic.compare import compare
    from facemimic.media import sample_path
    folder = tmp_path_factory.mktemp('lab-root')
    result = compare(sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4'))
    result.save(folder/'result.npz')
    return folder, result

def src_changes(page, selector:str, before:str, timeout:float=20_000)->str:
    page.wait_for_function("([s, b]) => { const e = document.querySelector(s); return e && e.src && e.src !== b; }",
                           arg=[selector, before], timeout=timeout)
    return page.get_attribute(selector, 'src')

def upload(page, role:str, path:Path):
    "Click the Upload button of `role` and pick `path` in the file chooser, as a user does."
    with page.expect_file_chooser(timeout=20_000) as chooser:
        page.click(f'.facemimic-upload-{role}')
    chooser.value.set_files(str(path))

def slider_value(page, selector:str)->int:
    return int(float(page.get_attribute(f'{selector} .noUi-handle', 'aria-valuenow')))

# --- JupyterLab ---------------------------------------------------------------------------------------

def test_explorers_in_jupyterlab(browser, saved_result, lab_server):
    folder, result = saved_result
    notebook(folder/'explore.ipynb', "from facemimic.explorer import explore\nexplorer = explore('result.npz')\nexplorer")
    server = lab_server(folder)
    page = None
    try:
        page = browser.new_page(viewport={'width': 1400, 'height': 2600})
        errors = []
        page.on('console', lambda m: errors.append(m.text) if m.type == 'error' and 'view' in m.text else None)
        run_notebook_in_lab(page, server, 'explore.ipynb')
        frame = '.facemimic-scrubber-frame'
        page.wait_for_selector(frame, timeout=90_000)
        page.wait_for_function("() => document.querySelectorAll('.facemimic-scrubber-frame')[1] && document.querySelector('.facemimic-scrubber-frame').src",
                               timeout=30_000)
        page.wait_for_selector('.bk-Figure, .bk-Canvas, .bk-Column', state='attached', timeout=30_000)
        assert not errors, f'widget views failed: {errors}'
        shot(page, 'lab_explorer_start.png', '.jp-OutputArea-output >> nth=-1')

        # frame scrubber: the slider moves, the frame and its number change
        status = page.locator('.facemimic-status').first
        before_src, before_text = page.get_attribute(frame, 'src'), status.inner_text()
        press(page, '.facemimic-scrubber-slider .noUi-handle', *['ArrowRight'] * 40)
        src_changes(page, frame, before_src)
        page.wait_for_function("([t]) => document.querySelector('.facemimic-status').innerText !== t", arg=[before_text], timeout=20_000)
        assert slider_value(page, '.facemimic-scrubber-slider') == 40
        m = re.search(r'frame (\d+)', status.inner_text())
        assert m and int(m.group(1)) > 0, status.inner_text()
        shot(page, 'lab_scrubber_step40.png', '.jp-OutputArea-output >> nth=-1')

        # the play button steps through the frames by itself
        page.locator('.facemimic-scrubber-slider').locator('xpath=preceding-sibling::*[1]').locator('button').first.click()
        page.wait_for_function("() => +document.querySelector('.facemimic-scrubber-slider .noUi-handle').getAttribute('aria-valuenow') > 60",
                               timeout=20_000)

        # region toggles: tick the jaw, the frame is redrawn and the jaw appears in the region table
        src = page.get_attribute(frame, 'src')
        page.get_by_role('checkbox', name=re.compile('jaw')).first.check()
        src_changes(page, frame, src)
        page.wait_for_function("() => [...document.querySelectorAll('.facemimic-table')].some(t => t.innerText.includes('jaw'))", timeout=20_000)

        # alignment explorer: its own slider, then a click on the cost matrix
        page.get_by_role('tab', name='Alignment').click()
        aligned = '.facemimic-alignment-frame'
        page.wait_for_selector(aligned, state='visible', timeout=20_000)
        src = page.get_attribute(aligned, 'src')
        press(page, '.facemimic-alignment-slider .noUi-handle', *['ArrowRight'] * 30)
        src_changes(page, aligned, src)
        assert slider_value(page, '.facemimic-alignment-slider') == 30
        canvas = page.locator('.facemimic-alignment-plot .bk-Canvas, .facemimic-alignment-plot canvas').first
        box = canvas.bounding_box()
        assert box and box['width'] > 100, box
        src = page.get_attribute(aligned, 'src')
        moved = "() => +document.querySelector('.facemimic-alignment-slider .noUi-handle').getAttribute('aria-valuenow') !== 30"
        for fx, fy in ((0.3, 0.7), (0.2, 0.8), (0.45, 0.55)): # inside the map, along its diagonal, away from step 30
            page.mouse.click(box['x'] + fx * min(box['width'], 430), box['y'] + fy * box['height'])
            try: page.wait_for_function(moved, timeout=10_000); break
            except Exception as e: # playwright's TimeoutError: try the next spot
                if type(e).__name__ != 'TimeoutError': raise
        else: raise AssertionError('a click on the cost map did not move the aligned step')
        src_changes(page, aligned, src)
        shot(page, 'lab_alignment_after_click.png', '.jp-OutputArea-output >> nth=-1')
    finally:
        if page is not None: page.close()

# --- the app in Voilà ---------------------------------------------------------------------------------

def test_app_in_voila(browser, sample_media, tmp_path, free_port):
    from facemimic.app import voila_command
    server = Server(voila_command(free_port, open_browser=False), f'http://127.0.0.1:{free_port}', tmp_path, 'voila')
    page = None
    try:
        server.wait_ready() # the port only: a GET of the page would start a kernel
        page = browser.new_page(viewport={'width': 1300, 'height': 1000})
        page.goto(server.url + '/', timeout=120_000)
        page.wait_for_selector('.facemimic-app', timeout=120_000)
        shot(page, 'voila_app_start.png')

        # upload the two sample clips and compare
        upload(page, 'reference', sample_media/'d0_smile.mp4')
        upload(page, 'imitation', sample_media/'single_face_smile.mp4')
        page.wait_for_function("() => document.querySelector('.facemimic-chosen-imitation').innerText.includes('single_face_smile.mp4')"
                               " && document.querySelector('.facemimic-chosen-reference').innerText.includes('d0_smile.mp4')", timeout=60_000)
        page.click('.facemimic-compare')
        score = page.wait_for_selector('.facemimic-summary .facemimic-score', timeout=240_000)
        text = score.inner_text()
        assert re.fullmatch(r'\d{1,3}/100', text), text
        href = page.get_attribute('.facemimic-download-json', 'href')
        saved = json.loads(base64.b64decode(href.split(',', 1)[1]))
        assert f"{saved['score']:.0f}/100" == text
        assert page.get_attribute('.facemimic-download-html', 'href').startswith('data:text/html;base64,')
        page.wait_for_selector('.facemimic-scrubber-frame', timeout=30_000)
        page.wait_for_function("() => document.querySelector('.facemimic-scrubber-frame').src", timeout=30_000)
        src = page.get_attribute('.facemimic-scrubber-frame', 'src')
        press(page, '.facemimic-scrubber-slider .noUi-handle', *['ArrowRight'] * 25)
        src_changes(page, '.facemimic-scrubber-frame', src)
        page.set_viewport_size({'width': 1300, 'height': 3600}) # Voilà scrolls inside the page: a tall window shows it all
        shot(page, 'voila_app_result.png')
        page.get_by_role('tab', name='Alignment').click()
        page.wait_for_selector('.facemimic-alignment-frame', state='visible', timeout=20_000)
        page.wait_for_selector('.facemimic-alignment-plot canvas', state='attached', timeout=20_000)
        shot(page, 'voila_app_alignment.png', '.facemimic-results')
        page.set_viewport_size({'width': 1300, 'height': 1000})

        # a text file as the imitation: a clear message in the page, and the app keeps working
        notes = tmp_path/'notes.txt'; notes.write_text('not a video')
        upload(page, 'imitation', notes)
        page.wait_for_function("() => document.querySelector('.facemimic-chosen-imitation').innerText.includes('notes.txt')", timeout=30_000)
        page.click('.facemimic-compare')
        error = page.wait_for_selector('.facemimic-error', timeout=60_000)
        assert 'The imitation could not be used' in error.inner_text() and 'notes.txt is not a video or image' in error.inner_text()
        assert page.locator('.facemimic-summary').count() == 0
        shot(page, 'voila_app_bad_upload.png')
        page.select_option('.facemimic-sample-imitation select', 'single_face_smile.mp4')
        page.wait_for_function("() => document.querySelector('.facemimic-chosen-imitation').innerText.includes('sample')", timeout=30_000)
        page.click('.facemimic-compare')
        again = page.wait_for_selector('.facemimic-summary .facemimic-score', timeout=120_000)
        assert again.inner_text() == text and page.locator('.facemimic-error').count() == 0
        assert not page_trouble(page)
    finally:
        if page is not None: page.close()
        server.stop()

LOG_WORDS = ['Error displaying widget', 'model not found', 'WARNING: Logging', 'W0000', 'INFO: Created', 'XNNPACK', 'Traceback']

def page_trouble(page)->list:
    "Log lines, tracebacks and widget errors shown in the page (stderr output areas count even when empty of those words)."
    text = page.inner_text('body')
    found = [w for w in LOG_WORDS if w in text]
    stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    return found + [f'{stderr.count()} stderr output(s): {stderr.first.inner_text()[:300]!r}'] if stderr.count() else found

VIDEO_PLAYS = """async v => { v.muted = true; await v.play(); const t0 = v.currentTime; await new Promise(r => setTimeout(r, 1200));
  return {t0, t1: v.currentTime, width: v.videoWidth, error: v.error ? v.error.code : null}; }"""

def test_app_on_a_phone_after_an_uncached_comparison(browser, sample_media, tmp_path, monkeypatch, free_port):
    "At 390 x 844: the page fits the screen, the buttons keep their words, and a comparison that runs MediaPipe shows no log."
    from facemimic.app import voila_command
    monkeypatch.setenv('FACEMIMIC_CACHE', str(tmp_path/'empty-cache')) # the server's kernel extracts both clips for real
    server = Server(voila_command(free_port, open_browser=False), f'http://127.0.0.1:{free_port}', tmp_path, 'voila')
    page, wrappers = None, '.facemimic-scroll, .table-wrap'
    try:
        server.wait_ready()
        page = browser.new_page(viewport=PHONE)
        page.goto(server.url + '/', timeout=120_000)
        page.wait_for_selector('.facemimic-app', timeout=120_000)
        fit = phone_overflow(page, wrappers)
        shot(page, 'voila_phone_start.png')
        assert fit['page'] <= fit['window'] and not fit['outside'], fit
        for button in ('.facemimic-compare', '.facemimic-example', '.facemimic-upload-reference', '.facemimic-upload-imitation'):
            whole = page.eval_on_selector(button, 'b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().right <= window.innerWidth')
            assert whole, f'{button} is cut: {page.inner_text(button)!r}'
        assert page.inner_text('.facemimic-compare').strip() == 'Compare'

        upload(page, 'reference', sample_media/'d0_smile.mp4')
        upload(page, 'imitation', sample_media/'single_face_smile.mp4')
        page.wait_for_function("() => document.querySelector('.facemimic-chosen-imitation').innerText.includes('single_face_smile.mp4')"
                               " && document.querySelector('.facemimic-chosen-reference').innerText.includes('d0_smile.mp4')", timeout=60_000)
        assert re.search(r'\(\d+ KB\)', page.inner_text('.facemimic-chosen-reference')), page.inner_text('.facemimic-chosen-reference')
        page.click('.facemimic-compare')
        page.wait_for_selector('.facemimic-summary .facemimic-score', timeout=240_000)
        page.wait_for_selector('.facemimic-scrubber-frame', timeout=30_000)
        page.wait_for_selector('.facemimic-alignment-plot canvas, .facemimic-scrubber-slider', state='attached', timeout=30_000)
        # a widget view still loading may turn into "Error displaying widget": wait until every view has made up its mind
        page.wait_for_function("() => !document.body.innerText.includes('Loading widget')", timeout=60_000)
        page.wait_for_timeout(1000)
        shot(page, 'voila_phone_result.png')
        assert not page_trouble(page), page_trouble(page)
        assert page.is_hidden('.facemimic-details')
        assert 'What the score means' in page.inner_text('.facemimic-summary')
        assert not re.search(r'yaw -0\b', page.inner_text('body'))
        fit = phone_overflow(page, wrappers)
        assert fit['page'] <= fit['window'] and not fit['outside'], fit
        played = page.eval_on_selector('video.facemimic-video', VIDEO_PLAYS) # the side-by-side video (ipywidgets.Video) plays
        assert played['error'] is None and played['t1'] > played['t0'] + 0.3 and played['width'] > 0, played
        assert 'face_landmarker_graph' in server.log() # the logs went to the server's terminal
    finally:
        if page is not None: page.close()
        server.stop()
