"""The side-by-side video plays in Chromium (issue 13, item 3): in the report (opened from disk, as a user opens it, and
served over HTTP on 127.0.0.1) and on its own.

Debian's Chromium decodes H.264 (it is built with FFmpeg's proprietary codecs): `canPlayType` answers 'probably' for
`avc1.42E01E` (Baseline) and `avc1.640028` (High, what libx264 writes here). The test asks, then plays the video and
checks that its clock advances, that it decoded a picture of the right size and that no media error was raised.

Skipped when Chromium (`/usr/bin/chromium`, or `$FACEMIMIC_CHROMIUM`) or Playwright is missing; never runs
`playwright install`."""
from __future__ import annotations
import functools, http.server, threading
import pytest
from browser_support import needs_chromium

pytestmark = needs_chromium

PLAY = """async (sel) => {
  const v = document.querySelector(sel);
  const errors = [];
  v.addEventListener('error', () => errors.push(v.error ? v.error.code + ' ' + v.error.message : 'error'));
  const types = Object.fromEntries(['avc1.42E01E', 'avc1.640028'].map(c => [c, v.canPlayType(`video/mp4; codecs="${c}"`)]));
  v.muted = true;
  let played = null;
  try { await v.play(); played = 'ok'; } catch (e) { played = String(e); }
  const t0 = v.currentTime;
  await new Promise(r => setTimeout(r, 1200));
  return {types, played, t0, t1: v.currentTime, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
          readyState: v.readyState, error: v.error ? v.error.code : null, errors};
}"""

@pytest.fixture(scope='module')
def report(tmp_path_factory):
    from facemimic.compare import compare
    from facemimic.media import sample_path
    from facemimic.report import write_report
    from facemimic.video import mp4_info
    folder = tmp_path_factory.mktemp('video-report')/'report'
    write_report(compare(sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4')), folder, pngs={}) # no figures: only the video is tested here
    return folder, mp4_info(folder/'side-by-side.mp4')

@pytest.fixture(scope='module')
def server(report):
    "The report folder over HTTP on 127.0.0.1 (a free port), stopped after the module."
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(report[0]))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{srv.server_port}'
    finally: srv.shutdown(); srv.server_close()

def check_played(got:dict, info:dict):
    assert got['types']['avc1.42E01E'] and got['types']['avc1.640028'], got['types'] # 'probably' or 'maybe', not ''
    assert got['played'] == 'ok' and got['error'] is None and not got['errors'], got
    assert got['t1'] > got['t0'] + 0.3, got # the clock advanced: frames are being decoded
    assert (got['width'], got['height']) == (info['width'], info['height']), got
    assert abs(got['duration'] - info['duration_s']) < 0.1, got

def open_page(browser, url:str):
    page, errors = browser.new_page(), []
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
    page.goto(url, wait_until='load')
    return page, errors

@pytest.mark.parametrize('how', ['file', 'http'])
def test_report_video_plays(browser, report, server, how):
    "The report's <video> plays, opened from disk (its CSP allows media-src 'self') and over HTTP."
    folder, info = report
    page, errors = open_page(browser, (folder/'report.html').as_uri() if how == 'file' else f'{server}/report.html')
    try:
        assert page.eval_on_selector('video', 'v => v.controls')
        check_played(page.evaluate(PLAY, 'video'), info)
        assert not errors, errors # no CSP violation, no script error
    finally: page.close()

def test_standalone_mp4_plays(browser, report, server):
    "The mp4 on its own: Chromium's own player for a video URL."
    folder, info = report
    page, errors = open_page(browser, f'{server}/side-by-side.mp4')
    try: check_played(page.evaluate(PLAY, 'video'), info)
    finally: page.close()
