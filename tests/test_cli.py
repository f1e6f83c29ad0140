"""The `facemimic` console script, run as a user runs it: in a subprocess, checking exit status and stderr.

A user's mistake must give exit status 2 and one line on stderr, never a traceback. MediaPipe, TensorFlow
Lite and FFmpeg write their own log lines from C++ straight to the process's stderr; `user_lines` leaves
those out and shows what a terminal would show (a progress bar erased with carriage returns is gone)."""
from __future__ import annotations
import re, subprocess
import numpy as np
import pandas as pd
import pytest
from facemimic.track import load_track
from conftest import facemimic_command

NATIVE_LOG = re.compile(r'^(?:[WIEF]\d{4} \d+:\d+:\d+\.\d+ +\d+ [\w./-]+:\d+\]'  # absl / glog (MediaPipe)
                        r'|WARNING: Logging before InitGoogle\(\)'                 # absl, once per process
                        r'|INFO: Created TensorFlow Lite'                           # TFLite
                        r'|ERROR: The model is not a valid Flatbuffer'              # TFLite, on a corrupt model
                        r'|\[[\w,]+ @ 0x[0-9a-f]+\])')                              # FFmpeg (via OpenCV)

def terminal_lines(text:str)->list:
    "The lines a terminal would show for `text`: each `\\r` moves back to the start of the line."
    shown = []
    for raw in text.split('\n'):
        line = []
        for part in raw.split('\r'):
            line[:len(part)] = part
        shown.append(''.join(line).rstrip())
    return [l for l in shown if l.strip()]

def user_lines(stderr:str)->list:
    "What the user sees on stderr, without the native libraries' own log lines."
    return [l for l in terminal_lines(stderr) if not NATIVE_LOG.match(l)]

def run(*args, timeout=300)->subprocess.CompletedProcess:
    "Run `facemimic ARGS`; stdout and stderr as str with their carriage returns kept (text=True would turn them into newlines)."
    r = subprocess.run(facemimic_command() + [str(a) for a in args], capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
    r.stdout, r.stderr = r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')
    return r

def test_help_and_version():
    r = run('--help')
    assert r.returncode == 0 and 'extract' in r.stdout and 'usage: facemimic' in r.stdout
    r = run('extract', '--help')
    assert r.returncode == 0 and '--out' in r.stdout and '--every' in r.stdout
    from facemimic import __version__
    r = run('--version')
    assert r.returncode == 0 and r.stdout.strip() == f'facemimic {__version__}'

@pytest.fixture(scope='module')
def error_cases(sample_media, fixtures_dir, tmp_path_factory):
    "The five mistakes of issue 2: (path, words the message must contain)."
    folder = tmp_path_factory.mktemp('a_folder')
    return {'text file named .mp4': (fixtures_dir/'text.mp4', 'not a video or image'),
            'empty file': (fixtures_dir/'empty.mp4', 'empty'),
            'missing path': (folder/'missing.mp4', 'does not exist'),
            'directory': (folder, 'folder'),
            'photo with no face': (sample_media/'no_face.jpg', 'No face')}

@pytest.mark.parametrize('case', ['text file named .mp4', 'empty file', 'missing path', 'directory', 'photo with no face'])
def test_user_mistake_gives_one_line_and_exit_2(case, error_cases, tmp_path):
    media, words = error_cases[case]
    out = tmp_path/'out.csv'
    r = run('extract', media, '--out', out)
    lines = user_lines(r.stderr)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert 'Traceback' not in r.stderr and 'Traceback' not in r.stdout
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith('facemimic extract: error: ') and words in lines[0], lines[0]
    assert not out.exists()

def test_bad_output_suffix(sample_media, tmp_path):
    r = run('extract', sample_media/'astronaut.png', '--out', tmp_path/'out.txt')
    assert r.returncode == 2 and user_lines(r.stderr) == [l for l in user_lines(r.stderr) if 'error' in l]
    assert len(user_lines(r.stderr)) == 1 and '.csv' in r.stderr and 'Traceback' not in r.stderr

def test_usage_error_exits_2():
    r = run('extract')   # argparse: MEDIA and --out missing
    assert r.returncode == 2 and 'usage:' in r.stderr and 'Traceback' not in r.stderr

def test_no_face_stderr_is_exactly_one_raw_line(sample_media, tmp_path):
    "Unfiltered: the CLI itself hides MediaPipe's routine native log lines, and shows no progress bar for one image."
    r = run('extract', sample_media/'no_face.jpg', '--out', tmp_path/'out.csv', '--no-cache')
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and '\r' not in r.stderr, r.stderr

def test_extract_writes_csv_parquet_and_npz(sample_media, tmp_path):
    still = sample_media/'astronaut.png'
    tables = {}
    for suffix in ('csv', 'parquet'):
        out = tmp_path/f'astronaut.{suffix}'
        r = run('extract', still, '--out', out)
        assert r.returncode == 0, r.stderr
        assert user_lines(r.stderr)[-1] == f'1 frames, 1 with a face -> {out}'
        tables[suffix] = pd.read_csv(out) if suffix == 'csv' else pd.read_parquet(out)
    csv, parquet = tables['csv'], tables['parquet']
    assert len(csv) == len(parquet) == 1 and list(csv.columns) == list(parquet.columns)
    assert {'frame', 'time_s', 'yaw_deg', 'mouthSmileLeft', 'x_norm_0', 'y_norm_477', 'z_norm_477'} <= set(csv.columns)
    assert len(csv.columns) == 11 + 52 + 3 * 478
    np.testing.assert_allclose(csv.filter(regex=r'^[xyz]_norm_\d+$').to_numpy(), parquet.filter(regex=r'^[xyz]_norm_\d+$').to_numpy(), atol=1e-6)
    out = tmp_path/'astronaut.npz'
    r = run('extract', still, '--out', out, '-q')
    assert r.returncode == 0 and user_lines(r.stderr) == [], r.stderr
    track = load_track(out)
    assert track.n_frames == 1 and track.landmarks.shape == (1, 478, 3) and track.face_mask.all()

def test_extract_video_with_options(sample_media, tmp_path):
    "d18_pucker.mp4 is 60 frames at 30 fps; frames 30..59 every 6th are 30, 36, 42, 48, 54."
    out = tmp_path/'pucker.csv'
    r = run('extract', sample_media/'d18_pucker.mp4', '--out', out, '--start', 1.0, '--every', 6, '--max-side', 240,
            '--no-landmarks', '--no-cache', '-q')
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert df['frame'].tolist() == [30, 36, 42, 48, 54]
    np.testing.assert_allclose(df['time_s'], df['frame'] / 30, atol=1e-3)
    assert df['face'].all() and 'x_norm_0' not in df.columns and 'mouthPucker' in df.columns
