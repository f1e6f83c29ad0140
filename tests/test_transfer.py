"""Expression transfer (issue 16) end to end on the shipped samples: the video, its provenance, the mark, the
closed-loop check, intensity, the command line's errors, and playback in Chromium.

About 25 s (each closed-loop check extracts an output video with MediaPipe; the sample clips' tracks come from the cache)."""
from __future__ import annotations
import json
from pathlib import Path
import numpy as np
import pytest
from facemimic.cli import main as cli_main
from facemimic.errors import OptionError
from facemimic.expressions import write_video
from facemimic.io import file_sha256
from facemimic.media import read_frames, read_image
from facemimic.transfer import mark_box, sidecar_path, transfer, video_tags

@pytest.fixture(scope='module')
def smile(sample_media, tmp_path_factory):
    "neutral_face.jpg driven by d0_smile.mp4 at intensity 1."
    return transfer(sample_media/'neutral_face.jpg', sample_media/'d0_smile.mp4', out=tmp_path_factory.mktemp('smile')/'smile.mp4')

def test_video_is_marked_and_tagged(smile, sample_media, tmp_path):
    frames = read_frames(smile.path, range(smile.n_frames))
    assert len(frames) == smile.n_frames == 78 and smile.fps == 25 and smile.encoder == 'ffmpeg-libx264'
    tags = video_tags(smile.path)
    assert tags['synthetic'] == 'true' and 'SYNTHETIC' in tags['title']
    assert tags['facemimic_source_sha256'] == file_sha256(sample_media/'neutral_face.jpg') in tags['comment']
    assert tags['facemimic_driving_sha256'] == file_sha256(sample_media/'d0_smile.mp4')
    side = json.loads(sidecar_path(smile.path).read_text())
    assert side['synthetic'] is True and side['driving']['sha256'] == smile.driving_sha256 and side['frames'] == 78 and 'consent' in side
    # the mark is visible in every decoded frame: white letters on a dark box where the photo is light grey
    photo = read_image(sample_media/'neutral_face.jpg')
    x0, y0, x1, y1 = mark_box(photo.shape[1], photo.shape[0])
    for i in (0, 40, 77):
        box = frames[i][y0:y1, x0:x1].astype(int)
        assert (box.max(2) > 200).mean() > 0.05 and (box.max(2) < 80).mean() > 0.4
        assert np.abs(box - photo[y0:y1, x0:x1]).mean() > 40
    # turned off only explicitly, and the tags stay
    plain = transfer(sample_media/'neutral_face.jpg', sample_media/'d0_smile.mp4', watermark=False, out=tmp_path/'plain.mp4')
    first = read_frames(plain.path, [0])[0].astype(int)
    assert np.abs(first[y0:y1, x0:x1] - photo[y0:y1, x0:x1]).mean() < 5 and video_tags(plain.path)['synthetic'] == 'true'
    with pytest.raises(OptionError): transfer(sample_media/'neutral_face.jpg', 'smile', watermark='no', out=tmp_path/'x.mp4')

def test_rest_of_frame_stays_still(smile, sample_media):
    photo = read_image(sample_media/'neutral_face.jpg').astype(int)
    x0, y0, x1, y1 = smile.box
    still = np.ones(photo.shape[:2], bool); still[y0:y1, x0:x1] = False
    mx0, my0, mx1, my1 = smile.mark; still[my0:my1, mx0:mx1] = False
    apex = read_frames(smile.path, [45])[45].astype(int)
    assert np.abs(apex - photo)[still].mean() < 2.5 # H.264 at CRF 20 only
    assert np.abs(apex - photo)[y0:y1, x0:x1].mean() > 2 * np.abs(apex - photo)[still].mean() # the face did move

def test_closed_loop_smile(smile):
    c = smile.check()
    assert c['score'] >= 75 and c['ssim_first'] >= 0.95 and c['ssim_still'] >= 0.95
    assert 0.65 <= c['amplitude_ratio'] <= 1.35

@pytest.mark.parametrize('driving', ['pucker', 'open-mouth'])
def test_closed_loop_pucker_and_open_mouth(sample_media, tmp_path, driving):
    c = transfer(sample_media/'neutral_face.jpg', driving, out=tmp_path/f'{driving}.mp4').check()
    assert c['score'] >= 75 and c['ssim_still'] >= 0.95 and c['amplitude_ratio'] >= 0.6

def test_half_and_zero_intensity(sample_media, tmp_path):
    half = transfer(sample_media/'neutral_face.jpg', 'smile', intensity=0.5, out=tmp_path/'half.mp4').check()
    assert 0.35 <= half['amplitude_ratio'] <= 0.65
    still = transfer(sample_media/'neutral_face.jpg', 'smile', intensity=0, out=tmp_path/'still.mp4')
    frames = read_frames(still.path, range(still.n_frames))
    assert max(np.abs(f.astype(int) - frames[0]).mean() for f in frames.values()) < 0.5 # encoder noise only
    c = still.check()
    assert c['score'] < 40 and any('did not move' in w or 'does not move' in w for w in c['warnings'] + [c['result'].verdict])

def test_bad_inputs_one_line_exit_2(sample_media, tmp_path, capsys):
    photo = str(sample_media/'neutral_face.jpg')
    def fails(args, words):
        assert cli_main(['transfer', *args, '-q']) == 2
        err = [l for l in capsys.readouterr().err.splitlines() if l.startswith('facemimic')]
        assert len(err) == 1 and err[0].startswith('facemimic transfer: error:') and words in err[0], err
    fails([str(sample_media/'no_face.jpg'), 'smile', '--out', str(tmp_path/'a.mp4')], 'No face')
    fails([photo, 'smile', '--out', str(tmp_path/'a.mov')], '.mp4')
    fails([photo, 'smile', '--out', str(tmp_path/'a.mp4'), '--intensity', '2.5'], 'from 0')
    fails([photo, 'smile', '--out', str(tmp_path/'a.mp4'), '--regions', 'mouth,ears'], '--regions')
    fails([photo, 'laugh', '--out', str(tmp_path/'a.mp4')], 'smile, pucker, open-mouth')
    two = tmp_path/'two.png'
    img = read_image(photo)
    from PIL import Image
    Image.fromarray(np.concatenate([img, img[::2, ::2].repeat(2, 0).repeat(2, 1)[:, :, :]], 1)).save(two)
    fails([str(two), 'smile', '--out', str(tmp_path/'a.mp4')], '--largest-face')
    assert not list(tmp_path.glob('a.*'))
    assert cli_main(['transfer', str(two), 'smile', '--out', str(tmp_path/'b.mp4'), '--largest-face', '--intensity', '0.2', '-q']) == 0
    # a driving clip without an expression is warned about, not refused
    write_video([img] * 20, tmp_path/'still.mp4', 25)
    assert cli_main(['transfer', photo, str(tmp_path/'still.mp4'), '--out', str(tmp_path/'c.mp4')]) == 0
    assert 'warning: The driving clip shows no expression' in capsys.readouterr().err

def test_plays_in_chromium(smile, tmp_path):
    "Headless Chromium plays the output in a <video> element (skipped without playwright or /usr/bin/chromium)."
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    if not Path('/usr/bin/chromium').exists(): pytest.skip('/usr/bin/chromium is not installed')
    (tmp_path/'t.mp4').write_bytes(smile.path.read_bytes())
    (tmp_path/'t.html').write_text('<video id="v" src="t.mp4" muted preload="auto"></video>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium', args=['--headless', '--no-sandbox', '--disable-gpu'])
        try:
            page = browser.new_page(); page.goto((tmp_path/'t.html').as_uri())
            page.wait_for_function('document.getElementById("v").readyState >= 2 || document.getElementById("v").error', timeout=20000)
            page.evaluate('document.getElementById("v").play()')
            page.wait_for_function('document.getElementById("v").currentTime > 0.5 || document.getElementById("v").error', timeout=20000)
            seen = page.evaluate('(() => { const v = document.getElementById("v"); return {t: v.currentTime, duration: v.duration, width: v.videoWidth, error: v.error && v.error.code}; })()')
        finally: browser.close()
    assert seen['error'] is None and seen['width'] == 480 and abs(seen['duration'] - 78 / 25) < 0.1 and seen['t'] > 0.5
