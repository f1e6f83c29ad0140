"""`facemimic.extraction.extract` end to end on real clips: shapes, names, timestamps, IMAGE mode, errors,
the cache (hits, misses, atomic writes) and the model file (checks, FACEMIMIC_MODEL)."""
from __future__ import annotations
import os, re, shutil, zipfile
from pathlib import Path
import numpy as np
import pytest
import facemimic.backends.mediapipe as fmp
import facemimic.extraction as fe
from facemimic.errors import FacemimicError, MediaError, ModelError, NoFaceError
from facemimic.io import atomic_write
from facemimic.topology import BLENDSHAPE_NAMES, PACKAGED_MODEL
from facemimic.track import load_track
from facemimic.backends.mediapipe import MODEL_SHA256, resolve_model
from facemimic.extraction import cache_key, extract

ARRAYS = ('timestamps', 'frame_index', 'landmarks', 'blendshapes', 'matrices', 'pose', 'face_mask', 'face_count', 'bbox', 'crops')

def assert_same_track(a, b):
    for k in ARRAYS: np.testing.assert_array_equal(getattr(a, k), getattr(b, k), err_msg=k)  # NaNs compare equal
    assert list(a.blendshape_names) == list(b.blendshape_names)

class _Refused(AssertionError): pass

def refuse_extraction(monkeypatch):
    "Make any new MediaPipe run fail, so a test proves a result came from the cache."
    def track_clip(*args, **kwargs): raise _Refused("extraction ran although the cache should have answered")
    monkeypatch.setattr(fe, 'track_clip', track_clip)

# ---- real clips ----

@pytest.fixture(scope='module')
def single_face(shared_media):
    "The face track of ../shared/media/single_face.mp4 (72 frames, 30 fps, 640x360; smiling from frame 18)."
    return extract(shared_media/'single_face.mp4')

def test_single_face_shapes_and_names(single_face):
    t = single_face
    assert t.n_frames == 72
    assert t.landmarks.shape == (72, 478, 3) and t.landmarks.dtype == np.float32
    assert t.blendshapes.shape == (72, 52) and t.blendshapes.dtype == np.float32
    assert len(t.blendshape_names) == 52 == len(set(t.blendshape_names))
    assert list(t.blendshape_names) == list(BLENDSHAPE_NAMES)
    assert {'mouthSmileLeft', 'jawOpen', 'eyeBlinkRight', 'browInnerUp'} <= set(t.blendshape_names)
    assert t.matrices.shape == (72, 4, 4) and t.pose.shape == (72, 3) and t.bbox.shape == (72, 4)

def test_single_face_every_frame_has_a_face(single_face):
    t = single_face
    assert t.face_mask.all() and (t.face_count == 1).all() and not t.warnings
    assert np.isfinite(t.landmarks).all() and np.isfinite(t.blendshapes).all() and np.isfinite(t.pose).all()
    assert ((t.blendshapes >= 0) & (t.blendshapes <= 1)).all()
    assert ((t.bbox[:, :2] < t.bbox[:, 2:])).all()

def test_single_face_timestamps(single_face):
    t = single_face
    np.testing.assert_array_equal(t.frame_index, np.arange(72))
    assert t.timestamps[0] == 0 and t.fps == 30
    np.testing.assert_allclose(np.diff(t.timestamps), 1 / 30, atol=1e-3)
    assert (t.meta['width'], t.meta['height'], t.meta['kind']) == (640, 360, 'video')
    assert t.meta['model_sha256'] == MODEL_SHA256

def test_single_face_smiles_after_frame_18(single_face):
    "The blendshape columns are in the right order: the smile columns rise when the man smiles."
    smile = single_face.blendshapes[:, [single_face.blendshape_names.index(n) for n in ('mouthSmileLeft', 'mouthSmileRight')]].mean(1)
    assert smile[30:].mean() > 0.4 > smile[:12].mean() + 0.2

def test_single_face_table(single_face):
    df = single_face.to_frame()
    assert len(df) == 72
    assert {'frame', 'time_s', 'face', 'yaw_deg', 'pitch_deg', 'roll_deg', 'mouthSmileLeft', 'x_norm_0', 'z_norm_477'} <= set(df.columns)

def test_sample_clip_matches_shared_clip(sample_media, single_face):
    "sample_media/single_face_smile.mp4 is a re-encode of the same 72 frames: nearly the same landmarks."
    t = extract(sample_media/'single_face_smile.mp4')
    assert t.landmarks.shape == (72, 478, 3) and t.face_mask.all()
    assert np.abs(t.landmarks[..., :2] - single_face.landmarks[..., :2]).mean() < 0.01

# ---- stills ----

def test_still_uses_image_mode(sample_media, monkeypatch):
    modes = []
    class SpyLandmarker(fmp.Landmarker):
        def __init__(self, video=True, *args, **kwargs):
            modes.append(video); super().__init__(video, *args, **kwargs)
    monkeypatch.setattr(fmp, 'Landmarker', SpyLandmarker)
    t = extract(sample_media/'astronaut.png', cache=False)
    assert modes == [False]
    assert t.is_image and t.n_frames == 1 and t.face_mask.tolist() == [True]
    assert t.timestamps.tolist() == [0.0] and t.landmarks.shape == (1, 478, 3)
    assert (t.meta['width'], t.meta['height']) == (512, 512)

def test_no_face_raises(sample_media):
    with pytest.raises(NoFaceError, match='No face') as e: extract(sample_media/'no_face.jpg')
    assert isinstance(e.value, FacemimicError)

@pytest.mark.parametrize('name', ['text.mp4', 'empty.mp4'])
def test_not_media_raises(name, fixtures_dir):
    with pytest.raises(MediaError): extract(fixtures_dir/name)

# ---- cache ----

def test_cache_hit_does_not_extract_again(sample_media, tmp_path, monkeypatch):
    clip = sample_media/'d18_pucker.mp4'
    first = extract(clip, every=3, cache_dir=tmp_path)
    entries = sorted(tmp_path.iterdir())
    key = cache_key(clip, MODEL_SHA256, first.meta['options'])
    assert [e.name for e in entries] == [f'{key}.npz']   # one entry, named by its key, no temp file left beside it
    refuse_extraction(monkeypatch)
    second = extract(clip, every=3, cache_dir=tmp_path)
    assert_same_track(first, second)
    assert second.meta['path'] == first.meta['path'] and second.meta['options'] == first.meta['options']
    with pytest.raises(_Refused): extract(clip, every=4, cache_dir=tmp_path)        # other options: another key
    with pytest.raises(_Refused): extract(clip, every=3, cache_dir=tmp_path, cache=False)

def test_cache_key_follows_content_not_name(sample_media, tmp_path, monkeypatch):
    "A copy of a clip under another name hits the same entry."
    cache = tmp_path/'cache'
    a = extract(sample_media/'astronaut.png', cache_dir=cache)
    copy = tmp_path/'copy.png'; shutil.copy(sample_media/'astronaut.png', copy)
    refuse_extraction(monkeypatch)
    b = extract(copy, cache_dir=cache)
    assert_same_track(a, b)
    assert b.meta['path'] == str(copy)

def test_default_cache_dir_is_facemimic_cache(sample_media, facemimic_cache):
    "Without cache_dir, entries go to $FACEMIMIC_CACHE (a fresh folder for this test run)."
    assert fe.default_cache_dir() == facemimic_cache
    t = extract(sample_media/'astronaut.png')
    key = cache_key(sample_media/'astronaut.png', MODEL_SHA256, t.meta['options'])
    assert (facemimic_cache/f'{key}.npz').is_file()
    assert all(re.fullmatch(r'[0-9a-f]{64}\.npz', p.name) for p in facemimic_cache.iterdir())

def test_broken_cache_entry_is_replaced(sample_media, tmp_path):
    "A truncated entry (say, from a crash of an older version) is ignored and written again."
    clip = sample_media/'astronaut.png'
    good = extract(clip, cache_dir=tmp_path)
    entry = next(tmp_path.iterdir())
    entry.write_bytes(entry.read_bytes()[:1000])
    again = extract(clip, cache_dir=tmp_path)
    assert_same_track(good, again)
    assert_same_track(good, load_track(entry))

def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path/'entry.npz'
    target.write_bytes(b'old content')
    def killed(tmp):
        Path(tmp).write_bytes(b'half written'); raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt): atomic_write(target, killed, suffix='.npz')
    assert target.read_bytes() == b'old content'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['entry.npz']
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(b'new'), suffix='.npz')
    assert target.read_bytes() == b'new' and sorted(p.name for p in tmp_path.iterdir()) == ['entry.npz']

def test_saved_track_round_trip(sample_media, tmp_path):
    t = extract(sample_media/'astronaut.png')
    t.save(tmp_path/'track.npz')
    assert_same_track(t, load_track(tmp_path/'track.npz'))
    (tmp_path/'junk.npz').write_bytes(b'not a track')
    with pytest.raises(MediaError): load_track(tmp_path/'junk.npz')

# ---- model ----

@pytest.fixture
def bad_models(tmp_path):
    "Files that are not a usable Face Landmarker model."
    rng = np.random.default_rng(0)
    random_bytes = tmp_path/'random.task'; random_bytes.write_bytes(rng.bytes(4096))
    wrong_zip = tmp_path/'wrong_members.task'
    with zipfile.ZipFile(wrong_zip, 'w') as z: z.writestr('hand_landmarker.tflite', rng.bytes(100))
    corrupt = tmp_path/'corrupt_members.task'   # the right member names, random model content
    with zipfile.ZipFile(PACKAGED_MODEL) as src, zipfile.ZipFile(corrupt, 'w') as z:
        for m in src.namelist(): z.writestr(m, rng.bytes(len(src.read(m))) if m.endswith('.tflite') else src.read(m))
    return {'random bytes': random_bytes, 'zip without the model members': wrong_zip,
            'zip with corrupt members': corrupt, 'missing file': tmp_path/'missing.task'}

def test_wrong_model_raises_model_error(sample_media, bad_models):
    for what, model in bad_models.items():
        with pytest.raises(ModelError) as e: extract(sample_media/'astronaut.png', model_path=model, cache=False)
        assert model.name in str(e.value), what

def test_packaged_model_is_checked():
    path, sha = resolve_model()
    assert path == PACKAGED_MODEL and sha == MODEL_SHA256

def test_corrupt_packaged_model_is_detected(tmp_path, monkeypatch):
    damaged = tmp_path/'face_landmarker.task'
    data = bytearray(PACKAGED_MODEL.read_bytes()); data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(fmp, 'PACKAGED_MODEL', damaged.resolve())
    with pytest.raises(ModelError, match='corrupt'): resolve_model()

def test_facemimic_model_env_var_is_honoured(sample_media, tmp_path, monkeypatch, bad_models):
    monkeypatch.setenv('FACEMIMIC_MODEL', str(bad_models['random bytes']))
    with pytest.raises(ModelError, match='random.task'): extract(sample_media/'astronaut.png', cache=False)
    good = tmp_path/'my_model.task'; shutil.copy(PACKAGED_MODEL, good)
    monkeypatch.setenv('FACEMIMIC_MODEL', str(good))
    assert resolve_model() == (good, MODEL_SHA256)
    t = extract(sample_media/'astronaut.png', cache=False)
    assert t.face_mask.all() and t.meta['model_sha256'] == MODEL_SHA256
    # an explicit model_path wins over the environment variable
    monkeypatch.setenv('FACEMIMIC_MODEL', str(bad_models['random bytes']))
    assert resolve_model(PACKAGED_MODEL)[0] == PACKAGED_MODEL
