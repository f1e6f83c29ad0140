"""The annotator (issue 18) in JupyterLab, driven in headless Chromium with Playwright: accept one suggestion, move a
boundary, relabel one episode (from the list, and with a key), save; the sidecar it saves reloads with the same episodes.

Uses the browser fixtures of `conftest.py` and the helpers of `browser_support.py`; skipped when Chromium or Playwright is missing.
About 40 s with a warm extraction cache. Run alone: `pytest -q tests/test_browser_annotate.py`."""
from __future__ import annotations
import shutil
from browser_support import needs_chromium, notebook, press, run_notebook_in_lab, shot

pytestmark = needs_chromium

def test_annotator_in_jupyterlab(browser, tmp_path, lab_server):
    from facemimic.media import sample_path
    from facemimic.extraction import extract
    from facemimic.episodes import load_episodes, segment_recording
    folder = tmp_path/'lab'; folder.mkdir()
    clip = folder/'d19_smiles.mp4'; shutil.copy(sample_path('d19_smiles.mp4'), clip)
    suggested = segment_recording(extract(clip))[0]
    notebook(folder/'annotate.ipynb', "from facemimic.annotate import annotate\nann = annotate('d19_smiles.mp4', annotator='lab test')\nann")
    server = lab_server(folder)
    page = None
    table = '.facemimic-annotate-table'
    def table_has(text:str):
        page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }", arg=[table, text], timeout=60_000)
    try:
        page = browser.new_page(viewport={'width': 1400, 'height': 2200})
        run_notebook_in_lab(page, server, 'annotate.ipynb')
        page.wait_for_selector(table, timeout=90_000)
        table_has('suggested')
        # accept the suggestion
        page.click('.facemimic-annotate-accept'); table_has('accepted')
        # move its onset: three frames on with the slider, then "onset here"
        press(page, '.facemimic-scrubber-slider .noUi-handle', *['ArrowRight'] * 3)
        page.wait_for_function("([f]) => document.querySelector('.facemimic-status').innerText.includes('frame ' + f + ' ')",
                               arg=[suggested.apex_frame + 3], timeout=60_000) # the kernel has the new frame before the button is clicked
        page.click('.facemimic-annotate-onset-here')
        table_has(f'{suggested.apex_frame + 3}–{suggested.offset_frame}')
        # relabel from the list, then with a key in the key box
        page.locator('.facemimic-annotate-label select').select_option('frown')
        page.click('.facemimic-annotate-relabel'); table_has('frown')
        page.click('.facemimic-annotate-keys'); page.keyboard.press('4') # pucker
        table_has('pucker')
        shot(page, 'lab_annotator.png', '.jp-OutputArea-output >> nth=-1')
        page.click('.facemimic-annotate-save')
        page.wait_for_function("() => document.querySelector('.facemimic-annotate-message').innerText.includes('saved')", timeout=60_000)
    finally:
        if page is not None: page.close()
        server.stop()
    saved = load_episodes(clip) # the sidecar beside the video
    e = saved[0]
    assert (e.onset_frame, e.offset_frame, e.label, e.suggested_label, e.status) == (suggested.apex_frame + 3, suggested.offset_frame, 'pucker', suggested.label, 'edited')
    assert saved.annotator == 'lab test' and saved.time
    from facemimic.annotate import Annotator
    again = Annotator(extract(clip)) # opening the recording again starts from its sidecar
    assert again.episodes == saved
    again.close()
