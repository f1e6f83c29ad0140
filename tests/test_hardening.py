"""Issue 12: every input and output path, tried the way a careless or hostile user would.

Damaged clips, unwritable outputs and caches, tampered saved files, hostile file names, option types,
custom models. Each test reproduces one item of the issue.
"""
from __future__ import annotations
import json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from facemimic.errors import FacemimicError, MediaError, ModelError, OptionError
from conftest import facemimic_command

def damaged_copy(src:Path, dst:Path, share:float=0.1)->Path:
    "A copy of `src` with `share` of its bytes, in the middle, overwritten with noise (the same noise every time)."
    data = bytearray(Path(src).read_bytes()); a = len(data) * 45 // 100; b = a + int(len(data) * share)
    data[a:b] = np.random.default_rng(0).integers(0, 256, b - a, dtype=np.uint8).tobytes()
    dst.write_bytes(data); return dst

def run(*args, env=None, timeout=300)->subprocess.CompletedProcess:
    return subprocess.run(facemimic_command() + [str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))

def error_lines(stderr:str)->list:
    "The lines of stderr a user reads (MediaPipe's and FFmpeg's native log lines left out)."
    native = ('W0000', 'I0000', 'WARNING: Logging before', 'INFO: Created TensorFlow', '[h264 @', '[mov,mp4')
    return [l for l in stderr.splitlines() if l.strip() and not l.startswith(native)]

# ---- 1. a clip damaged in the middle ----

def test_damaged_clip_keeps_every_frame_and_warns(sample_media, tmp_path):
    "A clip with a tenth of its bytes overwritten gives all its frames: the lost ones without a face, a warning and the coverage."
    from facemimic.extraction import extract
    clip = damaged_copy(sample_media/'d19_smiles.mp4', tmp_path/'damaged.mp4')
    track = extract(clip, cache=False)
    assert track.n_frames == 120 and track.timestamps[-1] == pytest.approx(119 / 30, abs=1e-3)
    cov = track.meta['coverage']
    assert cov['frames'] == 120 and 0 < cov['missing'] < 30 and cov['decoded'] == 120 - cov['missing']
    assert not track.face_mask[track.frame_index == int(round(cov['missing_ranges_s'][0][0] * 30))].any()
    assert any('could not be decoded' in w and f"{cov['missing']} of 120" in w for w in track.warnings)
    assert track.face_mask.sum() >= 100

def test_damaged_clip_coverage_in_analyze_summary(sample_media, tmp_path):
    "`analyze` reports the whole clip's length, and the coverage, for a damaged file."
    clip = damaged_copy(sample_media/'d19_smiles.mp4', tmp_path/'damaged.mp4')
    r = run('analyze', clip, '--out', tmp_path/'out', '--no-video', '-q')
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path/'out'/'summary.json').read_text())
    assert s['frames'] == 120 and s['duration_s'] == pytest.approx(119 / 30, abs=1e-3)
    assert s['coverage']['missing'] > 0 and any('could not be decoded' in w for w in s['warnings'])

# ---- 10. option types ----

@pytest.mark.parametrize('options', [dict(every='x'), dict(start_s='1'), dict(end_s=[2]), dict(max_side='x'), dict(every=1.5),
                                     dict(min_confidence='0.5'), dict(max_faces=2.5)])
def test_option_of_wrong_type_raises_option_error(sample_media, options):
    from facemimic.extraction import extract
    with pytest.raises(OptionError, match='give'): extract(sample_media/'astronaut.png', cache=False, **options)

@pytest.mark.parametrize('source', [None, 3, ['a.mp4']])
def test_extract_of_a_non_path_raises_option_error(source):
    from facemimic.extraction import extract
    with pytest.raises(OptionError, match='not a file path'): extract(source)

# ---- 2. an output that cannot be written fails at once, before the work ----

def unwritable_outputs(tmp_path:Path)->dict:
    "{case: (command, out)}: outputs that cannot be written, for each command."
    (tmp_path/'a_file').write_text('x'); (tmp_path/'x.csv').mkdir(); (tmp_path/'x.npz').mkdir()
    analyzed = tmp_path/'analyzed'; analyzed.mkdir(); (analyzed/'summary.json').mkdir() # a folder where a result file goes
    report = tmp_path/'report'; report.mkdir(); (report/'report.md').mkdir()
    return {'extract: a folder named x.csv': ('extract', tmp_path/'x.csv'), 'extract: a folder named x.npz': ('extract', tmp_path/'x.npz'),
            'extract: under a file': ('extract', tmp_path/'a_file'/'out.csv'), 'extract: unwritable place': ('extract', '/proc/facemimic/out.csv'),
            'analyze: under a file': ('analyze', tmp_path/'a_file'/'out'), 'analyze: unwritable place': ('analyze', '/proc/facemimic-out'),
            'analyze: folder holding a folder named summary.json': ('analyze', analyzed),
            'compare: a file': ('compare', tmp_path/'a_file'), 'compare: under a file': ('compare', tmp_path/'a_file'/'report'),
            'compare: unwritable place': ('compare', '/proc/facemimic-report'), 'compare: folder holding a folder named report.md': ('compare', report)}

CASES = [
    'extract: a folder named x.csv', 'extract: a folder named x.npz', 'extract: under a file', 'extract: unwritable place',
    'analyze: under a file', 'analyze: unwritable place', 'analyze: folder holding a folder named summary.json',
    'compare: a file', 'compare: under a file', 'compare: unwritable place', 'compare: folder holding a folder named report.md']

@pytest.mark.parametrize('case', CASES)
def test_unwritable_out_fails_before_the_work(case, sample_media, tmp_path):
    "One line, exit 2, and no extraction was run (the cache stays empty)."
    command, out = unwritable_outputs(tmp_path)[case]
    media = [sample_media/'d19_smiles.mp4'] + ([sample_media/'d0_smile.mp4'] if command == 'compare' else [])
    cache = tmp_path/'cache'
    r = run(command, *media, '--out', out, env={'FACEMIMIC_CACHE': str(cache)})
    lines = error_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith(f'facemimic {command}: error: --out'), r.stderr
    assert not cache.exists() or not any(cache.iterdir())

@pytest.mark.skipif(os.geteuid() == 0, reason='root can write in a read-only folder')
def test_read_only_out_folder_fails_before_the_work(sample_media, tmp_path):
    ro = tmp_path/'ro'; ro.mkdir(); ro.chmod(0o555)
    try:
        r = run('analyze', sample_media/'d19_smiles.mp4', '--out', ro, env={'FACEMIMIC_CACHE': str(tmp_path/'cache')})
        assert r.returncode == 2 and len(error_lines(r.stderr)) == 1
    finally: ro.chmod(0o755)

# ---- 3. a cache that cannot be written, or holds a broken entry it cannot remove ----

def cache_entry(media:Path, cache:Path, **options)->Path:
    "Where `extract(media, cache_dir=cache, **options)` keeps its entry."
    from facemimic.extraction import cache_key
    from facemimic.backends.mediapipe import MODEL_SHA256
    opts = dict(start_s=None, end_s=None, every=1, max_side=None) | options | dict(max_faces=2, min_confidence=0.5)
    return cache/f'{cache_key(media, MODEL_SHA256, opts)}.npz'

def test_cache_entry_that_is_a_folder_is_recomputed_with_a_warning(sample_media, tmp_path):
    from facemimic.extraction import extract
    media, cache = sample_media/'d19_smiles.mp4', tmp_path/'cache'
    entry = cache_entry(media, cache, every=10); entry.mkdir(parents=True); (entry/'inside').write_text('x')
    track = extract(media, every=10, cache_dir=cache)
    assert track.n_frames == 12 and track.face_mask.all()
    assert entry.is_file() # the folder was replaced by the entry

def test_broken_entry_that_cannot_be_removed_is_recomputed_with_a_warning(sample_media, tmp_path, monkeypatch):
    "A read-only cache folder holding a corrupt entry (as root, read-only is simulated: removing and writing raise PermissionError)."
    from facemimic import extraction
    media, cache = sample_media/'d19_smiles.mp4', tmp_path/'cache'
    entry = cache_entry(media, cache, every=10); cache.mkdir(); entry.write_bytes(b'corrupt')
    def refuse(*a, **k): raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(Path, 'unlink', refuse); monkeypatch.setattr(extraction, 'save_track', refuse)
    track = extraction.extract(media, every=10, cache_dir=cache)
    assert track.n_frames == 12
    assert any('is broken and could not be removed' in w for w in track.warnings)
    assert any('could not be written' in w for w in track.warnings)

def test_unwritable_cache_folder_gives_a_warning_not_a_traceback(sample_media, tmp_path):
    r = run('extract', sample_media/'astronaut.png', '--out', tmp_path/'t.csv', env={'FACEMIMIC_CACHE': '/proc/facemimic-cache'})
    assert r.returncode == 0, r.stderr
    assert any(l.startswith('warning: The cache entry') for l in error_lines(r.stderr)) and 'Traceback' not in r.stderr

def test_stale_temporary_cache_files_are_removed(sample_media, tmp_path):
    "A temporary file left by a killed cache write is removed by the next write, once it is an hour old."
    from facemimic.extraction import extract
    media, cache = sample_media/'d19_smiles.mp4', tmp_path/'cache'; cache.mkdir()
    entry = cache_entry(media, cache, every=10)
    stale, fresh = cache/f'.{entry.name}.abc123.npz', cache/f'.other.npz.def456.npz'
    stale.write_bytes(b'half'); fresh.write_bytes(b'half')
    os.utime(stale, (0, 0))
    extract(media, every=10, cache_dir=cache)
    assert not stale.exists() and fresh.exists() and entry.is_file()

# ---- 4. tampered or foreign saved files ----

@pytest.fixture(scope='module')
def saved_track(sample_media, tmp_path_factory):
    from facemimic.extraction import extract
    from facemimic.track import track_arrays
    track = extract(sample_media/'d19_smiles.mp4', every=10, cache=False)
    return track, track_arrays(track)

@pytest.mark.parametrize('change', ['10 landmarks', 'pose as text', 'blendshapes x 1e6', 'no crops', 'meta not JSON', '2-D timestamps', 'infinite landmarks'])
def test_tampered_track_is_refused_by_compare(change, saved_track, sample_media, tmp_path):
    track, arrays = saved_track
    a = dict(arrays)
    if change == '10 landmarks': a['landmarks'] = a['landmarks'][:, :10]
    elif change == 'pose as text': a['pose'] = a['pose'].astype(str)
    elif change == 'blendshapes x 1e6': a['blendshapes'] = a['blendshapes'] * 1e6
    elif change == 'no crops': del a['crops']
    elif change == 'meta not JSON': a['meta'] = np.array('{not json')
    elif change == '2-D timestamps': a['timestamps'] = a['timestamps'][:, None]
    elif change == 'infinite landmarks': a['landmarks'] = a['landmarks'].copy(); a['landmarks'][0, 0, 0] = np.inf
    np.savez(tmp_path/'bad.npz', **a)
    r = run('compare', tmp_path/'bad.npz', sample_media/'d19_smiles.mp4', env={'FACEMIMIC_CACHE': str(tmp_path/'cache')})
    lines = error_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and 'is not a saved FaceTrack' in lines[0], r.stderr

def test_tampered_cache_entry_is_recomputed(saved_track, sample_media, tmp_path):
    "A cache entry with 10 of 478 landmarks is not used: the table has all 478."
    track, arrays = saved_track
    cache = tmp_path/'cache'; cache.mkdir()
    entry = cache_entry(sample_media/'d19_smiles.mp4', cache, every=10)
    np.savez(entry, **(arrays | {'landmarks': arrays['landmarks'][:, :10]}))
    r = run('extract', sample_media/'d19_smiles.mp4', '--every', 10, '--out', tmp_path/'t.csv', env={'FACEMIMIC_CACHE': str(cache)})
    assert r.returncode == 0, r.stderr
    import pandas as pd
    cols = pd.read_csv(tmp_path/'t.csv', nrows=1).columns
    assert 'x_norm_477' in cols and 'z_norm_477' in cols

def test_tampered_saved_result_is_refused(saved_track, tmp_path):
    from facemimic.result import read_saved_result
    track, arrays = saved_track
    a = {f'reference__{k}': v for k, v in arrays.items()} | {f'imitation__{k}': v for k, v in arrays.items()}
    a['imitation__bbox'] = a['imitation__bbox'][:, :2]
    np.savez(tmp_path/'result.npz', **a, parameters=np.array('{}'))
    with pytest.raises(MediaError, match='not a saved facemimic result.*bbox'): read_saved_result(tmp_path/'result.npz')

# ---- 13. no system ffmpeg needed ----

def test_h264_without_a_system_ffmpeg(sample_media, tmp_path):
    "With no ffmpeg on PATH nor in /usr/bin, the annotated video is still H.264, from the imageio-ffmpeg wheel."
    code = f'''
import os, shutil
from unittest import mock
from facemimic.expressions import _ffmpeg, write_video
import numpy as np
real_exists = os.path.exists
with mock.patch('shutil.which', return_value=None), mock.patch('os.path.exists', lambda p: False if p == '/usr/bin/ffmpeg' else real_exists(p)):
    exe = _ffmpeg()
    print(exe)
    print(write_video([np.zeros((64, 64, 3), np.uint8)] * 5, {str(tmp_path/'v.mp4')!r}, 10))
'''
    env = dict(os.environ, PATH='/nonexistent'); env.pop('FACEMIMIC_FFMPEG', None)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    exe, encoder = r.stdout.split()
    assert 'imageio_ffmpeg' in exe and encoder == 'ffmpeg-libx264'

# ---- 9. frames without a face stay empty in the outputs ----

@pytest.fixture(scope='module')
def damaged_track(sample_media, tmp_path_factory):
    from facemimic.extraction import extract
    clip = damaged_copy(sample_media/'d19_smiles.mp4', tmp_path_factory.mktemp('damaged')/'damaged.mp4')
    track = extract(clip, cache=False)
    assert (~track.face_mask).sum() > 5
    return track

def test_compare_frames_table_is_empty_without_a_face(damaged_track, sample_media):
    from facemimic.compare import compare
    from facemimic.report import comparison_frame_table
    result = compare(sample_media/'d19_smiles.mp4', damaged_track, cache=False)
    table = comparison_frame_table(result)
    noface = table[~table.face]
    assert len(noface) == (~damaged_track.face_mask).sum()
    cols = ['activation'] + [c for c in table.columns if c.startswith('delta_')]
    assert noface[cols].isna().all().all() and table[table.face][cols].notna().all().all()

def test_analyze_smile_is_empty_without_a_face(damaged_track):
    from facemimic.expressions import expression_frame_table
    frames = expression_frame_table(damaged_track)
    assert frames.smile[~frames.face].isna().all() and frames.smile[frames.face].notna().all()
    csv = frames.to_csv(index=False).splitlines()
    row = csv[1 + int(np.flatnonzero(~frames.face.to_numpy())[0])].split(',')
    assert row[csv[0].split(',').index('smile')] == ''

# ---- 5. hostile file names in reports and tables ----

def test_hostile_file_name_is_text_in_every_report(sample_media, tmp_path):
    "A clip named with HTML and newlines appears escaped in report.md, flat in report.txt, and as text in report.html."
    name = 'x<svg onload=alert(1)>\n# Owned\n<script>alert(2)<\\script>.mp4'
    try: hostile = tmp_path/name; shutil.copy(sample_media/'d19_smiles.mp4', hostile)
    except OSError: pytest.skip('this file system refuses such names')
    r = run('compare', sample_media/'d19_smiles.mp4', hostile, '--out', tmp_path/'report', '-q')
    assert r.returncode == 0, r.stderr
    md, txt, html_ = ((tmp_path/'report'/f).read_text() for f in ('report.md', 'report.txt', 'report.html'))
    for text in (md, html_): assert '<svg' not in text and '<script>' not in text
    assert '&lt;svg onload=alert(1)&gt;' in md
    for text in (md, txt): assert not any(l.startswith('# Owned') for l in text.splitlines())

def test_spreadsheet_formulas_are_neutralised(tmp_path):
    "Text cells that start like a formula are written with a leading quote by every table writer."
    import pandas as pd
    from facemimic.cli import _write_table
    from facemimic.expressions import _write_csv, _write_excel
    df = pd.DataFrame({'label': ['=HYPERLINK("http://evil")', '+1', 'fine'], 'value': [-1.0, 2.0, 3.0]})
    _write_table(df, tmp_path/'a.csv'); _write_csv(df, tmp_path/'b.csv'); _write_excel({'s': df}, tmp_path/'c.xlsx')
    for back in (pd.read_csv(tmp_path/'a.csv'), pd.read_csv(tmp_path/'b.csv'), pd.read_excel(tmp_path/'c.xlsx')):
        assert list(back.label) == ['\'=HYPERLINK("http://evil")', "'+1", 'fine'] and list(back.value) == [-1.0, 2.0, 3.0]

# ---- 6. a damaged custom model ----

def _tflite_buffers(data:bytes)->list:
    "(start, length) of the data of each buffer of a TFLite flatbuffer (Model.buffers[i].data)."
    from flatbuffers import encode, number_types as N
    from flatbuffers.table import Table
    model = Table(data, encode.Get(N.UOffsetTFlags.packer_type, data, 0))
    o = model.Offset(4 + 2 * 4); out = [] # field 4 of Model: buffers
    for i in range(model.VectorLen(o) if o else 0):
        buf = Table(data, model.Indirect(model.Vector(o) + 4 * i))
        if (od := buf.Offset(4)): out.append((buf.Vector(od), buf.VectorLen(od)))
    return out

def model_copy(dst:Path, flip:str|None=None, truncate:str|None=None)->Path:
    "A copy of the packaged model: as is, with the weights of member `flip` sign-flipped (archive and flatbuffer intact), or member `truncate` cut in half."
    import zipfile
    from facemimic.topology import PACKAGED_MODEL
    with zipfile.ZipFile(PACKAGED_MODEL) as z, zipfile.ZipFile(dst, 'w') as out:
        for info in z.infolist():
            data = bytearray(z.read(info.filename))
            if info.filename == flip:
                for start, n in _tflite_buffers(bytes(data)):
                    if n >= 1024: # weights, not shapes
                        w = np.frombuffer(data, np.uint8, n, start).copy(); w[1::2] ^= 0x80; data[start:start + n] = w.tobytes()
            if info.filename == truncate: data = data[:len(data) // 2]
            out.writestr(info, bytes(data))
    return dst

@pytest.mark.parametrize('member', ['face_landmarks_detector.tflite', 'face_blendshapes.tflite'])
def test_model_with_flipped_weights_fails_the_sanity_check(member, sample_media, tmp_path):
    "A model whose weights are flipped loads and runs, but is refused before use with one ModelError sentence."
    from facemimic.extraction import extract
    bad = model_copy(tmp_path/'flipped.task', flip=member)
    with pytest.raises(ModelError, match=r'failed the sanity check .*astronaut.s photo.*: give the path of an intact'):
        extract(sample_media/'d19_smiles.mp4', every=10, model_path=bad, cache=False)

def test_flipped_model_through_the_environment_gives_one_line(sample_media, tmp_path):
    bad = model_copy(tmp_path/'flipped.task', flip='face_landmarks_detector.tflite')
    r = run('extract', sample_media/'astronaut.png', '--out', tmp_path/'t.csv', env={'FACEMIMIC_MODEL': str(bad)})
    lines = error_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and 'failed the sanity check' in lines[0], r.stderr
    assert not (tmp_path/'t.csv').exists()

def test_broken_model_gives_one_line(sample_media, tmp_path):
    "A model whose landmark network is cut in half: one line and exit 2, no native log or stack trace."
    bad = model_copy(tmp_path/'cut.task', truncate='face_landmarks_detector.tflite')
    r = run('extract', sample_media/'astronaut.png', '--model', bad, '--out', tmp_path/'t.csv')
    assert r.returncode == 2 and len([l for l in r.stderr.splitlines() if l.strip()]) == 1, r.stderr
    assert r.stderr.startswith('facemimic extract: error: MediaPipe could not load cut.task')

def test_model_check_runs_once_per_sha256_and_never_for_the_packaged_model(tmp_path, monkeypatch):
    from facemimic.backends import mediapipe as fmp
    calls = []
    real = fmp._model_problem
    monkeypatch.setattr(fmp, '_model_problem', lambda p: calls.append(p) or real(p))
    monkeypatch.setattr(fmp, '_CHECKED_MODELS', {})
    fmp.MediaPipeBackend(); assert calls == []
    good = model_copy(tmp_path/'copy.task') # re-packed: intact, another sha256
    assert fmp.file_sha256(good) != fmp.MODEL_SHA256
    fmp.MediaPipeBackend(model_path=good); fmp.MediaPipeBackend(model_path=good)
    with fmp.Landmarker(video=False, model_path=good): pass
    assert calls == [good]

# ---- 7. the app ----

def _port()->int:
    import socket
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _get(port:int, host:str|None=None, timeout:float=120)->tuple:
    "(status, body) of GET / on 127.0.0.1:port, with another Host header if given."
    import http.client
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    c.request('GET', '/', headers={'Host': host} if host else {})
    r = c.getresponse(); body = r.read().decode(errors='replace'); c.close()
    return r.status, body

def _wait_listening(port:int, proc, timeout:float=60):
    import socket, time
    end = time.time() + timeout
    while time.time() < end:
        assert proc.poll() is None, 'the server ended early'
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1): return
        except OSError: time.sleep(0.3)
    pytest.fail('the server did not start')

def _listening(port:int)->bool:
    import socket
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1): return True
    except OSError: return False

def _start_app(tmp_path, *extra)->tuple:
    port = _port()
    log = open(tmp_path/'app.log', 'w')
    proc = subprocess.Popen(facemimic_command() + ['app', '--port', str(port), '--no-browser', *extra], stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp_path, start_new_session=True)
    return proc, port

def _stop_group(proc):
    import signal
    try: os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError: pass

@pytest.mark.parametrize('signame', ['SIGTERM', 'SIGINT'])
def test_app_rejects_foreign_host_and_stops_on_a_signal(signame, tmp_path):
    "Host: attacker.example gets 403 (DNS rebinding); the signal stops the server: the port closes and the command exits 0."
    import signal, time
    pytest.importorskip('voila')
    proc, port = _start_app(tmp_path)
    try:
        _wait_listening(port, proc)
        assert _get(port, 'attacker.example')[0] == 403
        os.kill(proc.pid, getattr(signal, signame)) # the facemimic process only, as systemd or a terminal would
        assert proc.wait(30) == 0
        time.sleep(1)
        assert not _listening(port), 'the Voilà server is still running'
        log = (tmp_path/'app.log').read_text()
        assert 'facemimic app: open http://127.0.0.1:' in log and 'facemimic app: stopped' in log
    finally: _stop_group(proc)

def test_app_ip_that_is_not_an_address_gives_one_line(tmp_path):
    r = run('app', '--ip', 'not-an-ip', '--no-browser')
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [r.stderr.strip()] and '--ip not-an-ip: give an IP address' in r.stderr, r.stderr

def test_app_on_the_network_needs_a_token(tmp_path):
    r = run('app', '--ip', '0.0.0.0', '--print-command')
    assert r.returncode == 0 and '--Voila.token=' in r.stdout and 'remote' in r.stdout

def test_app_caps_and_culls_kernels(tmp_path):
    "With a cap of one kernel, a second page load gets 503 and a message; an idle kernel is culled, which frees the place."
    import time
    pytest.importorskip('voila')
    from facemimic.app import voila_command
    port = _port()
    log = open(tmp_path/'voila.log', 'w')
    proc = subprocess.Popen(voila_command(port, open_browser=False, kernels=1, idle_minutes=0.1), stdout=log, stderr=subprocess.STDOUT,
                            cwd=tmp_path, start_new_session=True)
    try:
        _wait_listening(port, proc)
        assert _get(port)[0] == 200
        status, body = _get(port)
        assert status == 503 and 'The app is busy' in body
        end = time.time() + 60
        while time.time() < end and not ("Culling 'idle' kernel" in (text := (tmp_path/'voila.log').read_text()) and 'Kernel shutdown' in text):
            time.sleep(1)
        while time.time() < end and (status := _get(port)[0]) == 503: time.sleep(2)
        assert status == 200, (tmp_path/'voila.log').read_text()[-2000:]
    finally: _stop_group(proc)

def test_app_upload_with_a_300_character_name(tmp_path):
    "The upload is kept under a shortened name (its suffix kept), and the page says so."
    pytest.importorskip('ipywidgets')
    from facemimic.app import ClipInput
    clip = ClipInput('imitation', tmp_path, [])
    clip.set_upload('n' * 296 + '.mp4', b'x' * 10)
    assert clip.path.is_file() and clip.path.suffix == '.mp4' and 'was shortened' in clip.chosen.value

# ---- 11. the content decides, and a guessed frame rate is said ----

def test_mp4_named_jpg_is_read_as_a_video(sample_media, tmp_path):
    from facemimic.extraction import extract
    disguised = tmp_path/'clip.jpg'; shutil.copy(sample_media/'d19_smiles.mp4', disguised)
    track = extract(disguised, every=10, cache=False)
    assert track.meta['kind'] == 'video' and track.n_frames == 12 and track.face_mask.all()

def test_raw_h264_stream_warns_that_its_frame_rate_is_a_guess(fixtures_dir):
    from facemimic.media import probe
    info = probe(fixtures_dir/'raw_stream.h264')
    assert info.fps_source == 'guessed' and any('raw video stream' in w and '25 fps is assumed' in w for w in info.warnings)
    assert probe(fixtures_dir/'clip.mkv').warnings == []
