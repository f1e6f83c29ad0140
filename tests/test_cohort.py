"""`facemimic batch` end to end: a design of the sample clips, a kill and a resume, a Dask LocalCluster, corrupt and missing files.

Run it alone with `pytest -q tests/test_cohort.py`. The first run extracts the five sample clips once (into the session's
fresh `FACEMIMIC_CACHE`); later batches copy those tracks into their own `tracks/` folders.
"""
from __future__ import annotations
import os, signal, shutil, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import facemimic_command
from test_cli import run, user_lines

SMILES, OTHERS = ['d0_smile.mp4', 'single_face_smile.mp4', 'd19_smiles.mp4'], ['d18_pucker.mp4', 'd18_open_mouth.mp4']

@pytest.fixture(scope='module')
def design(sample_media, tmp_path_factory)->Path:
    "Every smile of the sample clips against every other clip, with a participant and a condition column (12 pairs)."
    rows = [dict(participant=Path(i).stem, condition='A' if k % 2 else 'B', reference=str(sample_media/r), imitation=str(sample_media/i))
            for r in SMILES for k, i in enumerate(SMILES + OTHERS) if i != r]
    path = tmp_path_factory.mktemp('design')/'design.csv'
    pd.DataFrame(rows).to_csv(path, index=False)
    return path

@pytest.fixture(scope='module')
def serial(design, tmp_path_factory)->tuple:
    "The design run by the command line in one process: (its folder, its scores)."
    out = tmp_path_factory.mktemp('serial')/'study'
    r = run('batch', design, '--out', out, '--workers', '1')
    assert r.returncode == 0, r.stderr
    assert '12 pairs: 12 scored, 0 failed' in r.stderr, user_lines(r.stderr)
    return out, pd.read_parquet(out/'scores.parquet')

def test_sample_design(serial):
    out, scores = serial
    assert {'scores.parquet', 'scores.csv', 'summary.html', 'pairs', 'tracks'} <= {p.name for p in out.iterdir()}
    assert len(list((out/'tracks').glob('*.npz'))) == 5 # each clip extracted once, for 12 pairs
    assert len(list((out/'pairs').glob('*.json'))) == 12
    assert list(scores.columns[:4]) == ['participant', 'condition', 'reference', 'imitation'] # the design's columns first, as given
    for c in ('score', 'expression_score', 'latency_s', 'duration_ratio', 'amplitude_ratio', 'mouth_corner_left_score',
              'mouth_corner_left_amplitude', 'warnings', 'status', 'error', 'seconds'): assert c in scores.columns, c
    assert (scores.status == 'ok').all()
    kind = scores.imitation.map(lambda p: 'smile' if 'smile' in p else Path(p).stem)
    assert scores.score[kind == 'smile'].min() > scores.score[kind == 'd18_pucker'].max()
    csv = pd.read_csv(out/'scores.csv')
    assert csv.score.round(6).tolist() == scores.score.round(6).tolist()
    page = (out/'summary.html').read_text()
    for words in ('Scores by group', 'Heat map', 'Slowest pairs', 'Failed pairs', 'mediapipe', '<svg'): assert words in page, words
    assert 'src="http' not in page and '<script' not in page # self-contained

def test_kill_and_resume(sample_media, tmp_path):
    "Killed after a few pairs, the same command completes the rest and leaves the finished pair files alone."
    clips = tmp_path/'clips'; clips.mkdir()
    for name in SMILES + OTHERS[:1]: shutil.copy(sample_media/name, clips/name)
    out = tmp_path/'study'
    proc = subprocess.Popen(facemimic_command() + ['batch', '--pairs', 'all', str(clips), '--out', str(out), '--workers', '1', '--quiet'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None and len(list((out/'pairs').glob('*.json'))) < 3: time.sleep(0.01)
        assert proc.poll() is None, "the batch finished before it could be killed"
        proc.send_signal(signal.SIGKILL); proc.wait()
    finally:
        if proc.poll() is None: proc.kill(); proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in (out/'pairs').glob('*.json')}
    assert 3 <= len(done) < 12, len(done)
    assert not (out/'scores.parquet').exists()
    r = run('batch', '--pairs', 'all', clips, '--out', out, '--workers', '1')
    assert r.returncode == 0, r.stderr
    assert f"{len(done)} of 12 pairs already done: skipped" in r.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out/'pairs').glob('*.json') if p.name in done} == done # not redone
    scores = pd.read_parquet(out/'scores.parquet')
    assert len(scores) == 12 and (scores.status == 'ok').all()
    assert not [p for p in out.rglob('.*') if p.is_file()] # no temporary file left

def test_local_processes_give_identical_scores(design, serial, tmp_path):
    from facemimic.cohort import batch
    scores = batch(design, tmp_path/'processes', workers=2, progress=False)
    assert scores.score.tolist() == serial[1].score.tolist()

def test_local_cluster_gives_identical_scores(design, serial, tmp_path):
    distributed = pytest.importorskip('distributed')
    from facemimic.cohort import batch
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host='127.0.0.1', dashboard_address='127.0.0.1:0') as cluster, \
         distributed.Client(cluster) as client:
        scores = batch(design, tmp_path/'dask', client=client, progress=False, cache=False) # cold: the Dask workers extract every clip
        r = run('batch', design, '--out', tmp_path/'dask-cli', '--scheduler', cluster.scheduler_address) # the command line, on the same cluster
    assert r.returncode == 0, r.stderr
    assert any(l.startswith('Dask dashboard: http://127.0.0.1:') for l in user_lines(r.stderr)), user_lines(r.stderr)
    assert pd.read_parquet(tmp_path/'dask-cli'/'scores.parquet').score.tolist() == serial[1].score.tolist()
    assert (scores.status == 'ok').all()
    assert scores.score.tolist() == serial[1].score.tolist()
    cols = [c for c in scores.columns if c.endswith('_score')]
    pd.testing.assert_frame_equal(scores[cols], serial[1][cols])

def test_corrupt_and_missing(design, sample_media, tmp_path):
    broken = tmp_path/'broken.mp4'
    broken.write_bytes((sample_media/'d18_pucker.mp4').read_bytes()[:3000]) # the header and a few bytes of frames
    rows = pd.read_csv(design).head(2)
    bad = pd.concat([rows, rows.head(1).assign(imitation=str(broken))], ignore_index=True)
    bad.to_csv(tmp_path/'bad.csv', index=False)
    r = run('batch', tmp_path/'bad.csv', '--out', tmp_path/'out', '--workers', '1')
    assert r.returncode == 0, r.stderr
    scores = pd.read_csv(tmp_path/'out'/'scores.csv')
    assert scores.status.tolist() == ['ok', 'ok', 'error']
    assert 'broken.mp4' in scores.error[2]
    bad.assign(reference=['gone.mp4', rows.reference[1], rows.reference[0]]).to_csv(tmp_path/'missing.csv', index=False)
    r = run('batch', tmp_path/'missing.csv', '--out', tmp_path/'out2')
    assert r.returncode == 2
    lines = user_lines(r.stderr)
    assert len(lines) == 1 and 'gone.mp4 is missing (row 1)' in lines[0], lines
    assert not (tmp_path/'out2').exists() # refused before anything was written
    r = run('batch', '--out', tmp_path/'out3')
    assert r.returncode == 2 and 'give one design' in r.stderr

def test_extract_folder_to_dataset(sample_media, tmp_path):
    "`facemimic extract DIR --out DIR.parquet`: one dataset, Hive-partitioned by clip, that pandas and dask.dataframe read as it is."
    clips = tmp_path/'clips'; clips.mkdir()
    for name in ('d18_pucker.mp4', 'd18_open_mouth.mp4'): shutil.copy(sample_media/name, clips/name)
    r = run('extract', clips, '--out', tmp_path/'clips.parquet', '--no-landmarks', '--workers', '1')
    assert r.returncode == 0, r.stderr
    frames = pd.read_parquet(tmp_path/'clips.parquet')
    assert frames.groupby('clip', observed=True).size().to_dict() == {'d18_open_mouth.mp4': 60, 'd18_pucker.mp4': 60}
    dd = pytest.importorskip('dask.dataframe')
    assert len(dd.read_parquet(tmp_path/'clips.parquet').compute()) == 120
    r = run('extract', clips, '--out', tmp_path/'clips.csv')
    assert r.returncode == 2 and 'ending in .parquet' in r.stderr
