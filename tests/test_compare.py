"End-to-end properties of `compare` on re-encoded copies of real clips (each copy is extracted again with MediaPipe)."
import json, subprocess, sys
from pathlib import Path
import cv2
import numpy as np
import pytest
from facemimic.compare import compare, load_result
from facemimic.media import Clip, sample_path

REF = sample_path('d0_smile.mp4')

def write_video(path, frames, fps):
    "Write RGB frames to an mp4 with OpenCV (mp4v), as a user's editing tool might."
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for f in frames: out.write(np.ascontiguousarray(f[..., ::-1]))
    out.release()
    return path

@pytest.fixture(scope='module')
def frames():
    with Clip(REF) as clip: return [f.image for f in clip], clip.info.fps

@pytest.fixture(scope='module')
def base():
    return compare(REF, REF)

def test_itself(base):
    assert base.score >= 98

def test_delayed_copy(tmp_path, frames, base):
    imgs, fps = frames
    k = 8
    r = compare(REF, write_video(tmp_path / 'late.mp4', [imgs[0]] * k + imgs, fps))
    assert abs(r.timing['latency_s'] - k / fps) <= 1.5 / fps, r.timing
    assert r.score >= 85

def test_half_speed_copy(tmp_path, frames):
    imgs, fps = frames
    r = compare(REF, write_video(tmp_path / 'slow.mp4', [f for f in imgs for _ in (0, 1)], fps))
    assert abs(r.timing['duration_ratio'] - 2) < 0.25, r.timing

def test_mirrored_copy(tmp_path, frames, base):
    imgs, fps = frames
    mirrored = write_video(tmp_path / 'mirror.mp4', [np.ascontiguousarray(f[:, ::-1]) for f in imgs], fps)
    r = compare(REF, mirrored, mirror=True)
    assert abs(r.score - compare(REF, write_video(tmp_path / 'same.mp4', imgs, fps)).score) < 5
    assert r.score >= 90

@pytest.mark.parametrize('change', ['half_size', 'darker'])
def test_half_size_or_darker_copy(tmp_path, frames, change):
    imgs, fps = frames
    if change == 'half_size': imgs = [cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2), interpolation=cv2.INTER_AREA) for f in imgs]
    else: imgs = [(f * 0.45).astype(np.uint8) for f in imgs]
    r = compare(REF, write_video(tmp_path / f'{change}.mp4', imgs, fps))
    assert r.score >= 90, (change, r)

def test_smile_beats_other_expressions():
    smile = compare(REF, sample_path('single_face_smile.mp4')).score
    for other in ('d18_pucker.mp4', 'd18_open_mouth.mp4'):
        assert smile > compare(REF, sample_path(other)).score + 20

def test_image_reference_and_saved_result(tmp_path):
    still = compare(sample_path('astronaut.png'), sample_path('single_face_smile.mp4'))
    assert 0 <= still.score <= 100 and still.components['timing'] is None
    assert any('single image' in w for w in still.warnings)
    r = compare(REF, sample_path('single_face_smile.mp4'))
    r.save(tmp_path / 'r.npz')
    assert load_result(tmp_path / 'r.npz').score == pytest.approx(r.score)

def run_cli(*args):
    return subprocess.run([sys.executable, '-m', 'facemimic.cli', *map(str, args)], capture_output=True, text=True)

def test_cli_json_keys():
    r = run_cli('compare', REF, sample_path('single_face_smile.mp4'), '--json')
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert {'score', 'components', 'timing', 'regions', 'reference', 'imitation', 'warnings', 'versions', 'parameters'} <= set(d)
    assert {'static', 'structure', 'dynamic'} <= set(d['components'])
    assert {'latency_s', 'duration_ratio', 'amplitude_ratio'} <= set(d['timing'])
    assert all({'name', 'weight', 'score', 'feedback'} <= set(x) for x in d['regions'])
    for role in ('reference', 'imitation'):
        assert {'path', 'frames', 'fps', 'frames_with_face', 'onset_s', 'apex_s', 'offset_s'} <= set(d[role])
    assert {'facemimic', 'mediapipe', 'model_sha256'} <= set(d['versions'])

@pytest.mark.parametrize('args,needle', [
    (('compare', REF, 'missing.mp4'), 'does not exist'),
    (('compare', REF, sample_path('no_face.jpg')), 'No face was found'),
    (('compare', REF, REF, '--expression', 'wink'), 'is not known'),
    (('compare', REF, REF, '--reference-start', '5', '--reference-end', '1'), 'not after'),
])
def test_cli_user_mistakes(args, needle):
    r = run_cli(*args)
    assert r.returncode == 2 and needle in r.stderr and 'Traceback' not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr

def test_photos_of_expressions(tmp_path):
    "A photo of a smile (with or without a neutral photo of the same man) ranks a smiling video above a pucker."
    from facemimic.media import read_frames
    frames = read_frames(sample_path('single_face_smile.mp4'), [3, 60])
    smile, neutral = tmp_path / 'smile.png', tmp_path / 'neutral.png'
    cv2.imwrite(str(smile), frames[60][..., ::-1]); cv2.imwrite(str(neutral), frames[3][..., ::-1])
    for kw in ({}, {'reference_neutral': neutral}):
        good = compare(smile, REF, **kw)
        bad = compare(smile, sample_path('d18_pucker.mp4'), **kw)
        assert good.score > bad.score + 40, (kw, good, bad)
    assert compare(smile, REF, reference_neutral=neutral).reference.neutral_source == 'neutral-clip'
