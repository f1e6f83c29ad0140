"""`facemimic batch` on episodes of a long recording (issue 18): a design names episodes from the recording's sidecar
instead of pre-cut clips; each pair scores what `compare(..., imitation_episode=...)` gives; a wrong episode is one line, exit 2.

Run it alone with `pytest -q tests/test_cohort_episodes.py`. The recording is three sample clips of one man (a pucker,
an open mouth, two smiles; 30 fps, 480x480) written one after the other: 8 s of real video.
"""
from __future__ import annotations
import itertools
from pathlib import Path
import pandas as pd
import pytest
from test_cli import run, user_lines

@pytest.fixture(scope='module')
def session(sample_media, tmp_path_factory)->Path:
    "The recording, with its sidecar as `facemimic segment` writes it (the command itself is tested in test_episodes.py)."
    from facemimic.episodes import segment_recording, sidecar_path
    from facemimic.expressions import write_video
    from facemimic.extraction import extract
    from facemimic.media import Clip
    folder = tmp_path_factory.mktemp('recording')
    rec = folder/'session.mp4'
    frames = itertools.chain.from_iterable((f.image for f in Clip(sample_media/c) if f.image is not None)
                                           for c in ('d18_pucker.mp4', 'd18_open_mouth.mp4', 'd19_smiles.mp4'))
    write_video(frames, rec, 30.0)
    segment_recording(extract(rec, progress=False)).save(sidecar_path(rec))
    assert (folder/'session.mp4.episodes.csv').is_file()
    return rec

def test_batch_of_episodes(session, sample_media, tmp_path):
    "Episodes named by label in a design CSV (relative paths), each scored as `compare` scores that episode of the recording."
    from facemimic.compare import compare
    design = session.parent/'design.csv'
    pd.DataFrame(dict(reference=[str(sample_media/'d0_smile.mp4'), 'session.mp4'], reference_episode=['', 'pucker'],
                      imitation=['session.mp4', str(sample_media/'d18_pucker.mp4')], imitation_episode=['smile#1', ''])).to_csv(design, index=False)
    out = tmp_path/'study'
    r = run('batch', design, '--out', out, '--workers', '1')
    assert r.returncode == 0, r.stderr
    assert '2 pairs: 2 scored, 0 failed' in r.stderr, user_lines(r.stderr)
    scores = pd.read_parquet(out/'scores.parquet')
    assert list(scores.imitation_episode) == ['smile#1', ''] and (scores.status == 'ok').all()
    assert '[smile#1]' in (out/'summary.html').read_text() # the summary names the episode
    from facemimic.episodes import episode_number, load_episodes
    from facemimic.extraction import extract
    eps, track = load_episodes(session), extract(session, progress=False)
    direct = [compare(sample_media/'d0_smile.mp4', track, imitation_episode=eps.clip(episode_number(eps, 'smile#1'))).score,
              compare(track, sample_media/'d18_pucker.mp4', reference_episode=eps.clip(episode_number(eps, 'pucker'))).score]
    assert scores.score.round(6).tolist() == [round(v, 6) for v in direct], (list(scores.score), direct) # what `compare` gives on the episode
    assert scores.score[1] > scores.score[0] + 20 # the pucker episode against the clip it came from; a pucker imitating a smile less well

def test_a_wrong_episode_is_one_line(session, sample_media, tmp_path):
    design = tmp_path/'design.csv'
    pd.DataFrame(dict(reference=[str(sample_media/'d0_smile.mp4')] * 2, imitation=[str(session)] * 2,
                      imitation_episode=['laugh', '7'])).to_csv(design, index=False)
    r = run('batch', design, '--out', tmp_path/'study')
    lines = user_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1, lines
    assert "row 1: imitation_episode laugh: no expression episode is labelled 'laugh'" in lines[0] and 'row 2: imitation_episode 7' in lines[0], lines
    assert not (tmp_path/'study').exists() # refused before any work
