"""`analyze` end to end on real media: every file written, the right row counts, and a user's mistakes raising
the right facemimic errors (and exit status 2 with one line through the `facemimic` command).

The full clip `d19.mp4` lives in ../shared/media beside the clone; tests that need it skip when it is absent."""
from __future__ import annotations
import json, shutil
from pathlib import Path
import pandas as pd
import pytest
from facemimic.errors import MediaError, NoFaceError, OptionError
from facemimic.expressions import analyze
from facemimic.media import probe
from conftest import media_or_skip

FILES = ['annotated.mp4', 'expressions.xlsx', 'frames.csv', 'landmarks478.csv', 'landmarks68.csv', 'meta.csv', 'pca.png',
         'seconds.csv', 'summary.json']

@pytest.fixture(scope='module')
def d19_out(tmp_path_factory, shared_media):
    "analyze() of the full d19.mp4 (250 frames, 30 fps), once for the module: (summary, out folder)."
    out = tmp_path_factory.mktemp('d19')
    return analyze(media_or_skip(shared_media, 'd19.mp4'), out), out

def test_analyze_writes_every_file(d19_out):
    summary, out = d19_out
    assert sorted(p.name for p in out.iterdir()) == FILES # and no temporary files left behind
    frames, seconds = pd.read_csv(out/'frames.csv'), pd.read_csv(out/'seconds.csv')
    assert len(frames) == 250 and frames.frame.tolist() == list(range(250))
    assert '_neutral' not in frames and {'browInnerUp', 'noseSneerRight', 'eyeLookUpLeft', 'AU01', 'AU12', 'AU43'} <= set(frames.columns)
    assert frames.AU12.corr(frames.smile.astype(float)) > 0.5 # the approximate lip corner puller follows the smiles
    assert seconds.frames.tolist() == [30] * 8 + [10] # the clip's real 30 fps, from its timestamps
    xl = pd.read_excel(out/'expressions.xlsx', sheet_name=None)
    assert sorted(xl) == ['classes', 'frames', 'seconds'] and len(xl['frames']) == 250 and len(xl['seconds']) == 9
    l68, meta = pd.read_csv(out/'landmarks68.csv'), pd.read_csv(out/'meta.csv')
    assert len(l68) == 250 and {'frame', 'time_s', 'face', 'x_px_0', 'x_px_67', 'y_px_67', 'yaw_deg'} <= set(l68.columns)
    assert len(meta) == 250 and set(meta.status) == {'ok'}
    l478 = pd.read_csv(out/'landmarks478.csv', usecols=['frame', 'time_s', 'x_norm_477', 'y_norm_477', 'z_norm_477', 'x_px_477', 'y_px_477'])
    assert len(l478) == 250 and (l478.x_px_477 - 480 * l478.x_norm_477).abs().max() < 0.01
    info = probe(out/'annotated.mp4')
    assert (info.frame_count, info.width, info.height) == (250, 480, 480) and abs(info.fps - 30) < 0.01
    assert (out/'pca.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    on_disk = json.loads((out/'summary.json').read_text())
    assert on_disk == json.loads(json.dumps(summary)) and on_disk['frames'] == 250 and on_disk['video_encoder'] == 'ffmpeg-libx264'
    assert 0 < on_disk['expression_score'] <= 100 and on_disk['expressiveness']['level'] in ('reserved', 'balanced', 'expressive')

def test_analyze_finds_the_smiles(d19_out, tmp_path, shared_media):
    summary, _ = d19_out
    listed = [(5, 30), (80, 100), (155, 180), (195, 220), (225, 249)] # ../shared/media/SOURCES.md
    default = summary['smile']['episodes']
    assert summary['smile']['preset'] == 'mouth' and summary['smile']['min_episode_s'] == 0.2
    for a, b in listed: # the default rule finds each listed smile as one episode
        assert sum(e['start_frame'] <= b and e['end_frame'] >= a for e in default) == 1, (a, b, default)
    assert min(e['duration_s'] for e in default) >= 0.2 # and no episode is shorter than the minimum
    six = analyze(shared_media/'d19.mp4', tmp_path, smile='six-thresholds', video=False)['smile']['episodes']
    assert not any(e['start_frame'] <= 30 and e['end_frame'] >= 5 for e in six) # the six-threshold rule misses the first smile (documented)
    assert [(e['start_frame'], e['end_frame']) for e in six] == [(45, 55), (78, 102), (194, 205), (229, 249)] # its 1-2 frame flickers merged or dropped

def test_analyze_photo(tmp_path, sample_media):
    s = analyze(sample_media/'astronaut.png', tmp_path)
    assert s['frames'] == 1 and s['expressiveness']['score'] is None and (tmp_path/'annotated.png').exists()
    assert s['smile']['frames'] == 1 and len(s['smile']['episodes']) == 1 # the astronaut's smile (mouthSmile 0.90) counts

def test_bad_input_raises_facemimic_errors(tmp_path, sample_media, fixtures_dir):
    with pytest.raises(MediaError, match='text.mp4'): analyze(fixtures_dir/'text.mp4', tmp_path/'a')
    with pytest.raises(MediaError): analyze(tmp_path/'missing.mp4', tmp_path/'b')
    with pytest.raises(NoFaceError, match='No face was found'): analyze(sample_media/'no_face.jpg', tmp_path/'c')
    (tmp_path/'file').write_text('x')
    with pytest.raises(OptionError, match='is a file'): analyze(sample_media/'astronaut.png', tmp_path/'file')
    with pytest.raises(OptionError, match='choose one of'): analyze(sample_media/'astronaut.png', tmp_path/'d', smile='wide')
    with pytest.raises(OptionError, match="now called 'six-thresholds'"): analyze(sample_media/'astronaut.png', tmp_path/'d', smile='default')
    with pytest.raises(OptionError, match='68 or 478'): analyze(sample_media/'astronaut.png', tmp_path/'e', points=12)
    with pytest.raises(OptionError, match='norms'): analyze(sample_media/'astronaut.png', tmp_path/'f', norms=(5, 1))

def _cli_has_analyze()->bool:
    import facemimic.cli as cli
    try: cli.build_parser().parse_args(['analyze', 'x', '--out', 'y'])
    except SystemExit: return False
    return True

@pytest.fixture
def cli_main():
    if not _cli_has_analyze(): pytest.skip("`facemimic analyze` is not hooked into facemimic.cli yet")
    from facemimic.cli import main
    return main

def test_cli_analyze(cli_main, tmp_path, sample_media, capsys):
    assert cli_main(['analyze', str(sample_media/'d0_smile.mp4'), '--out', str(tmp_path), '--smile', 'mouth', '--landmarks', '478', '--mesh']) == 0
    s = json.loads((tmp_path/'summary.json').read_text())
    assert s['frames'] == 78 and s['smile']['preset'] == 'mouth' and s['options']['points'] == 478
    assert len(pd.read_csv(tmp_path/'seconds.csv')) == 4 # 78 frames at 25 fps
    assert '78 frames, 78 with a face' in capsys.readouterr().err

@pytest.mark.parametrize('media, message', [('text.mp4', 'text.mp4'), ('no_face.jpg', 'No face was found')])
def test_cli_analyze_bad_input_one_line_exit_2(cli_main, tmp_path, sample_media, fixtures_dir, capsys, media, message):
    path = (fixtures_dir if media == 'text.mp4' else sample_media)/media
    assert cli_main(['analyze', str(path), '--out', str(tmp_path/'out'), '-q']) == 2
    err = [l for l in capsys.readouterr().err.splitlines() if l.startswith('facemimic')]
    assert len(err) == 1 and err[0].startswith('facemimic analyze: error:') and message in err[0]

def test_annotated_video_plays_in_chromium(d19_out, tmp_path):
    "Headless Chromium loads the annotated mp4 in a <video> element (skipped without playwright or /usr/bin/chromium)."
    sync_playwright = pytest.importorskip('playwright.sync_api').sync_playwright
    if not Path('/usr/bin/chromium').exists(): pytest.skip('/usr/bin/chromium is not installed')
    _, out = d19_out
    shutil.copy(out/'annotated.mp4', tmp_path/'a.mp4')
    (tmp_path/'a.html').write_text('<video id="v" src="a.mp4" muted preload="auto"></video>')
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path='/usr/bin/chromium', args=['--headless', '--no-sandbox', '--disable-gpu'])
        try:
            page = browser.new_page(); page.goto((tmp_path/'a.html').as_uri())
            page.wait_for_function('document.getElementById("v").readyState >= 2 || document.getElementById("v").error', timeout=20000)
            seen = page.evaluate('(() => { const v = document.getElementById("v"); return {ready: v.readyState, duration: v.duration, width: v.videoWidth, error: v.error && v.error.code}; })()')
        finally: browser.close()
    assert seen['error'] is None and seen['ready'] >= 2 and seen['width'] == 480 and abs(seen['duration'] - 250 / 30) < 0.1
