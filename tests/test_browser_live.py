"""The live camera widget and the practice trainer in JupyterLab, in headless Chromium whose camera plays a real clip (issue 15).

Chromium's fake camera plays a `.y4m` file (`--use-file-for-fake-video-capture`), made here from the sample clips
with imageio-ffmpeg's ffmpeg: a few seconds of the clip's first, relaxed frame, then the clip. Servers listen on
127.0.0.1 only; Chromium is `/usr/bin/chromium` (never `playwright install`). Screenshots go to `artifacts/`."""
from __future__ import annotations
import subprocess, sys, time
from pathlib import Path
import pytest
from browser_support import CHROMIUM, LAUNCH_ARGS, needs_chromium, notebook, run_notebook_in_lab, shot, start_jupyterlab

pytestmark = needs_chromium
pytest.importorskip('anywidget')

def fake_camera(clip:Path, out:Path, still_s:float=0.0)->Path:
    "A 640x480 `.y4m` of `clip` (letterboxed), after `still_s` seconds of its first frame."
    import imageio_ffmpeg
    fit = 'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2'
    vf = f'tpad=start_duration={still_s}:start_mode=clone,{fit}' if still_s else fit
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-y', '-loglevel', 'error', '-i', str(clip), '-vf', vf, '-pix_fmt', 'yuv420p', str(out)], check=True)
    return out

@pytest.fixture(scope='module')
def lab(tmp_path_factory, sample_media):
    "A JupyterLab server on 127.0.0.1 whose root holds the reference clip."
    folder = tmp_path_factory.mktemp('live-lab')
    (folder/'reference.mp4').write_bytes((sample_media/'d0_smile.mp4').read_bytes())
    server = start_jupyterlab(folder)
    try:
        yield server, folder
    finally: server.stop()

def open_notebook(camera_file:Path, server, name:str):
    "A Chromium page whose camera plays `camera_file`, with notebook `name` open, all cells run. Returns (playwright, browser, page)."
    from playwright.sync_api import sync_playwright
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS + [
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', f'--use-file-for-fake-video-capture={camera_file}'])
    page = b.new_page(viewport={'width': 1400, 'height': 1800})
    run_notebook_in_lab(page, server, name)
    return pw, b, page

def close(pw, b, page):
    "Shut the page's kernels down (they would hold a core), then close Chromium."
    try: page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")
    except Exception: pass
    b.close(); pw.stop()

def test_live_widget_shows_labels_that_change_when_the_clip_smiles(lab, sample_media, tmp_path):
    server, folder = lab
    camera = fake_camera(sample_media/'d19_smiles.mp4', tmp_path/'d19.y4m') # four smiles in 4 s, looped
    notebook(folder/'live.ipynb', "from facemimic.camera import live\nw = live(autostart=True)\nw")
    pw, b, page = open_notebook(camera, server, 'live.ipynb')
    try:
        page.wait_for_selector('.fm-live-indicator.on', timeout=90_000)
        page.wait_for_function("() => +(document.querySelector('.fm-live').dataset.results || 0) > 5", timeout=60_000)
        seen, deadline = set(), time.time() + 20
        while time.time() < deadline and not {'smile', 'neutral'} <= seen:
            seen.add(page.inner_text('.fm-live-label').strip()); time.sleep(0.1)
        assert {'smile', 'neutral'} <= seen, seen
        assert page.get_attribute('.fm-live', 'data-landmarks') == '478'
        page.wait_for_function("() => /sure/.test(document.querySelector('.fm-live-level').innerText)", timeout=30_000) # a level after 2 s
        page.wait_for_function("() => +(document.querySelector('.fm-live').dataset.seriesLevel || 0) > 10", timeout=20_000) # the rolling plot
        drawn = page.evaluate("() => { const c = document.querySelector('.fm-live-series'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                              " let blue = 0, orange = 0; for (let i = 0; i < d.length; i += 4) { if (d[i] < 80 && d[i + 2] > 150) blue++;"
                              " if (d[i] > 230 && d[i + 1] > 100 && d[i + 1] < 160 && d[i + 2] < 60) orange++; } return [blue, orange]; }")
        assert min(drawn) > 20, drawn # its intensity (blue) and expressiveness (orange) lines are drawn
        shot(page, 'lab_live_camera.png', '.fm-live')
        page.click('.fm-live-stop')
        page.wait_for_selector('.fm-live-indicator:not(.on)', timeout=10_000)
    finally: close(pw, b, page)

def practice_score(lab, camera:Path, name:str)->float:
    "Run one practice attempt with the fake camera playing `camera`; the score the page shows."
    server, folder = lab
    notebook(folder/f'{name}.ipynb', f"from facemimic.camera import practice\np = practice('reference.mp4', '{name}')\np")
    pw, b, page = open_notebook(camera, server, f'{name}.ipynb')
    try:
        page.wait_for_selector('.fm-practice button:has-text("Start attempt")', timeout=90_000)
        page.click('.fm-practice button:has-text("Start attempt")') # starts the camera too: the attempt's clock starts with its first frame
        try: page.wait_for_selector('.fm-practice-score', timeout=120_000)
        except Exception: raise AssertionError(f"{name}: no score; the page says {page.inner_text('.fm-practice')!r}") from None
        shot(page, f'lab_{name}.png', '.fm-practice')
        text = page.inner_text('.fm-practice-score')
    finally: close(pw, b, page)
    files = sorted(p.name for p in (folder/name).iterdir())
    assert files == ['attempt-1.json', 'attempt-1.mp4', 'attempt-1.npz'], files
    return float(text.split('score ')[1].split('/')[0])

def test_practice_scores_the_same_performance_high_and_another_low(lab, sample_media, tmp_path):
    # relax (3 s) and countdown (3 s) see the relaxed first frame; the performance starts as the imitation does
    # (one after the other: run at once, in two browsers, the second page's click on "Start attempt" was lost)
    same = practice_score(lab, fake_camera(sample_media/'d0_smile.mp4', tmp_path/'same.y4m', still_s=6.2), 'practice_same')
    print(f'practice scores: the same performance {same:.1f}', end='')
    assert same >= 80, same
    other = practice_score(lab, fake_camera(sample_media/'d18_pucker.mp4', tmp_path/'other.y4m', still_s=6.2), 'practice_other')
    print(f', another expression {other:.1f}')
    assert other < 50, other
