"""`facemimic live` as a user runs it, and the streaming path (`facemimic.streaming`) on real clips (issue 15).

A file analysed live (`--video FILE --fast`) must give `facemimic extract`'s table, frame for frame, plus the live
columns; a missing camera, a missing display or a wrong `--out` give exit status 2 and one line on stderr."""
from __future__ import annotations
import numpy as np
import pandas as pd
import pytest
from conftest import media_or_skip
from test_cli import run, user_lines
from facemimic.cli import main

LIVE = ['label', 'reason', 'intensity', 'smile', 'expressiveness', 'level', 'level_confidence']

@pytest.fixture(scope='module')
def extracted(sample_media, tmp_path_factory):
    "`facemimic extract` of d19_smiles.mp4 (four smiles in 4 s), as the table the user gets."
    out = tmp_path_factory.mktemp('extract')/'d19.csv'
    assert main(['extract', str(sample_media/'d19_smiles.mp4'), '--out', str(out), '-q']) == 0 # in this process: the CLI's own tests run it as a user does
    return pd.read_csv(out)

def test_live_video_gives_the_extract_table_plus_live_columns(sample_media, extracted, tmp_path):
    out = tmp_path/'live.csv'
    r = run('live', '--video', sample_media/'d19_smiles.mp4', '--no-window', '--fast', '--out', out)
    assert r.returncode == 0, r.stderr
    assert len(user_lines(r.stderr)) == 1 and '120 frames, 120 with a face' in r.stderr, r.stderr
    live = pd.read_csv(out)
    assert live.columns.tolist() == extracted.columns.tolist() + LIVE
    pd.testing.assert_frame_equal(live[extracted.columns], extracted) # the same numbers as extract, as written to CSV
    assert set(live.label) == {'smile', 'neutral'} and live.smile.sum() > 20
    assert (live.label == 'smile').eq(live.smile).all() # the clip's only expression is smiling
    levels = live.level.dropna()
    assert len(levels) > 40 and set(levels) <= {'reserved', 'balanced', 'expressive'}
    assert live.level[:60].isna().all() # the first 2 s window is complete only after 2.1 s
    assert live.level_confidence.dropna().between(0.5, 1).all()

def test_live_on_a_shared_clip(shared_media, tmp_path):
    out = tmp_path/'d0.csv'
    assert main(['live', '--video', str(media_or_skip(shared_media, 'd0.mp4')), '--no-window', '--fast', '--out', str(out), '-q']) == 0
    live = pd.read_csv(out)
    assert len(live) == 78 and live.face.all()
    smiles = np.flatnonzero(live.label == 'smile')
    assert len(smiles) > 20 and 15 <= smiles[0] <= 30 # SOURCES.md: neutral 0-18, broad smile 20-64
    assert live.level.notna().sum() > 10

def practice_score(capsys, reference, imitation)->float:
    "The score `facemimic live --practice REFERENCE --video IMITATION` prints (run in this process, to share MediaPipe's loading)."
    capsys.readouterr()
    assert main(['live', '--video', str(imitation), '--practice', str(reference), '--no-window', '--fast', '-q']) == 0
    out = capsys.readouterr().out
    return float(out.split('score ')[1].split('/')[0])

def test_practice_on_a_file_scores_the_same_performance_high(sample_media, capsys):
    assert practice_score(capsys, sample_media/'d18_pucker.mp4', sample_media/'d18_pucker.mp4') >= 80
    assert practice_score(capsys, sample_media/'d18_pucker.mp4', sample_media/'d19_smiles.mp4') < 50

def test_no_camera_gives_one_line_and_status_2():
    r = run('live', '--camera', '7', '--no-window') # in a subprocess: OpenCV's own lines would go straight to its stderr
    lines = user_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and 'No camera 7 could be opened' in lines[0], r.stderr

@pytest.mark.parametrize('args, words', [
    (['--video', 'no_such_clip.mp4', '--no-window'], 'does not exist'),
    (['--video', '{sample}', '--no-window', '--out', '{tmp}/x.txt'], 'give a file ending in .csv'),
    (['--video', '{sample}', '--out', '{tmp}/x.csv'], 'no display'),
])
def test_mistakes_give_one_line_and_status_2(sample_media, tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.delenv('DISPLAY', raising=False); monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    args = [a.format(sample=sample_media/'d18_pucker.mp4', tmp=tmp_path) for a in args]
    assert main(['live', *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
    assert not list(tmp_path.iterdir()) # nothing half-written

def test_live_and_practice_are_the_camera_widgets():
    pytest.importorskip('anywidget')
    import facemimic
    from facemimic import camera
    assert facemimic.live is camera.live and facemimic.practice is camera.practice # `facemimic.live()`, as the issue asks
    assert not hasattr(camera, 'LiveAnalyzer') or camera.LiveAnalyzer.__module__ == 'facemimic.streaming'
