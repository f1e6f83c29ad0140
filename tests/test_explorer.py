"""The explorers and the app driven from Python, without a browser (issue 5).

Each test sets widget values or calls a controller, then asserts on what the view shows: the frame numbers,
the JPEG bytes in the `ipywidgets.Image`s, the Bokeh `Span`s and `ColumnDataSource`s, region visibility, and
the messages a scrub step sends (a few hundred bytes for the plots: cursors move, figures are never rebuilt)."""
from __future__ import annotations
import json, shutil, sys
from pathlib import Path
import cv2
import numpy as np
import pytest
from facemimic.compare import compare, load_result
from facemimic.errors import MediaError, OptionError
from facemimic.explorer import (AlignmentExplorer, FrameScrubber, FrameCache, REGION_COLORS, RegionToggles, ResultExplorer,
                                draw_landmarks, explore, phase)
from facemimic.track import FaceTrack
from facemimic.extraction import extract
from facemimic.regions import REGION_NAMES, regions

REPO = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def result(sample_media):
    return compare(sample_media/'d0_smile.mp4', sample_media/'single_face_smile.mp4')

@pytest.fixture(scope='module')
def smiles(sample_media):
    return extract(sample_media/'d19_smiles.mp4')

def decode(jpeg:bytes)->np.ndarray:
    assert jpeg[:2] == b'\xff\xd8', 'not a JPEG'
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)

def copy_track(track:FaceTrack, **meta)->FaceTrack:
    "A copy of `track` with its arrays copied and `meta` updated."
    arrays = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(track).items() if k != 'meta'}
    return FaceTrack(**arrays, meta=dict(track.meta, **meta))

class Sent:
    "Bytes sent by a widget's `send` (the Bokeh document patches), recorded per call."
    def __init__(self, widget):
        self.sizes, self._send = [], widget.send
        widget.send = self
    def __call__(self, content, buffers=None):
        self.sizes.append(len(json.dumps(content)) + sum(len(b) for b in (buffers or [])))
        return self._send(content, buffers)
    def take(self)->int:
        n = sum(self.sizes); self.sizes.clear(); return n

# --- frame scrubber ---------------------------------------------------------------------------------

def test_scrubber_shows_the_frame_the_slider_points_at(smiles):
    s = FrameScrubber(smiles)
    t = smiles.timestamps - smiles.timestamps[0]
    seen = set()
    for row in (0, 17, 60, 119, 3):
        s.slider.value = row
        assert s.rows == [row] and s.frame_indices == [int(smiles.frame_index[row])]
        assert s.spans[0].location == pytest.approx(t[row])
        assert f'frame {smiles.frame_index[row]} ' in s.status[0].value and f'{t[row]:.2f} s' == s.time_label.value
        img = decode(s.images[0].value)
        assert img.shape == (480, 480, 3)
        seen.add(s.images[0].value)
    assert len(seen) == 5, 'every frame gives a different image'
    s.set_frame(42)
    assert s.slider.value == 42
    # the image is the decoded file frame with the overlay: close to the clip's own frame 42 away from the dots
    frame = s.sources[0].frame(42)
    assert np.abs(decode(s.images[0].value).astype(int) - frame).mean() < 6

def test_scrub_step_moves_cursors_without_rebuilding(smiles):
    s = FrameScrubber(smiles)
    doc = s.figures[0].document
    models, renderers = len(doc.models), [r.id for r in s.figures[0].renderers]
    sent = Sent(s.plot)
    for row in range(10, 20):
        s.slider.value = row
        assert sent.take() < 1_000, 'a scrub step sends only the cursor move'
        assert len(s.images[0].value) < 120_000
    assert len(doc.models) == models and [r.id for r in s.figures[0].renderers] == renderers

def test_status_and_pose(smiles):
    odd = copy_track(smiles)
    odd.face_mask[5] = False; odd.landmarks[5] = np.nan; odd.pose[5] = np.nan
    odd.face_count[6] = 2
    odd.pose[7, 0] = 50.0
    s = FrameScrubber(odd)
    expected = {4: 'face', 5: 'no face', 6: 'warning', 7: 'warning'}
    for row, status in expected.items():
        s.set_frame(row)
        assert f'data-status="{status}"' in s.status[0].value
    s.set_frame(5); assert 'head pose: -' in s.status[0].value
    s.set_frame(7); assert 'yaw +50°' in s.status[0].value and 'head turned' in s.status[0].value
    s.set_frame(6); assert '2 faces' in s.status[0].value

def test_region_toggles_hide_dots_curves_and_numbers(smiles):
    s = FrameScrubber(smiles)
    s.set_frame(50)
    lips = [r for r in regions() if r.name == 'lips'][0]
    x, y = np.round(s.sources[0].points(50)[lips.landmarks[0]]).astype(int)
    lips_bgr = np.array([int(REGION_COLORS['lips'][i:i + 2], 16) for i in (5, 3, 1)])
    def colour_at_lip(): return decode(s.images[0].value)[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(0)
    assert np.abs(colour_at_lip() - lips_bgr).max() < 40
    s.toggles.checkboxes['lips'].value = False # as a click on the checkbox does
    assert 'lips' not in s.toggles.visible and s.renderers[0]['lips'].visible is False
    assert all(r.visible for n, r in s.renderers[0].items() if n != 'lips')
    assert '> lips<' not in s.numbers.value and 'left mouth corner' in s.numbers.value
    assert np.abs(colour_at_lip() - lips_bgr).max() > 40
    s.toggles.toggle_region('lips')
    assert s.renderers[0]['lips'].visible is True and '> lips<' in s.numbers.value
    s.toggles.set_visible([])
    assert not any(r.visible for r in s.renderers[0].values()) and 'No region is shown' in s.numbers.value
    assert np.abs(decode(s.images[0].value).astype(int) - s.sources[0].frame(50)).max() < 60 # no dots at all

def test_numbers_follow_the_frame(smiles):
    s = FrameScrubber(smiles)
    s.toggles.set_visible(['mouth_corner_left'])
    ix = [smiles.blendshape_names.index(b) for b in [r for r in regions() if r.name == 'mouth_corner_left'][0].blendshapes]
    for row in (0, 45):
        s.set_frame(row)
        assert f'{smiles.blendshapes[row, ix].mean():.2f}' in s.numbers.value

def test_two_clips_on_one_time_line(result):
    ref, imi = result.reference_track, result.imitation_track
    s = FrameScrubber([ref, imi], ['reference', 'imitation'], region_results=result.regions)
    tr, ti = ref.timestamps - ref.timestamps[0], imi.timestamps - imi.timestamps[0]
    assert len(s.times) > max(ref.n_frames, imi.n_frames)
    for step in range(0, len(s.times), 7):
        s.set_step(step)
        t = s.times[step]
        r, i = s.rows
        assert tr[r] <= t + 1e-6 and (r == ref.n_frames - 1 or tr[r + 1] > t + 1e-6)
        assert ti[i] <= t + 1e-6 and (i == imi.n_frames - 1 or ti[i + 1] > t + 1e-6)
        assert s.spans[0].location == s.spans[1].location == pytest.approx(t)
    assert 'region score' in s.numbers.value and len(s.images) == 2
    with pytest.raises(OptionError, match='one or two FaceTracks'): FrameScrubber([ref, imi, ref])

# --- frames: media, crops, mirror -------------------------------------------------------------------

def test_frames_from_crops_when_the_file_is_gone(smiles):
    gone = copy_track(smiles, path='/nowhere/d19_smiles.mp4')
    s = FrameScrubber(gone)
    assert s.sources[0].source == 'crops'
    s.set_frame(30)
    img = decode(s.images[0].value)
    assert img.shape == (336, 336, 3)
    inside = s.sources[0].points(30)
    assert ((inside > 0) & (inside < 336)).all(1).mean() > 0.95

def test_mirrored_track_shows_the_mirrored_frame(sample_media, smiles):
    mirrored = smiles.mirror()
    a, b = FrameCache(smiles), FrameCache(mirrored)
    assert np.array_equal(b.frame(10), a.frame(10)[:, ::-1])
    w = a.size[0]
    nose = 1
    assert b.points(10)[nose][0] == pytest.approx(w - a.points(10)[nose][0], abs=1.0)

def test_long_clip_frames_on_demand(smiles):
    lean = FrameCache(smiles, max_side=240, budget_mb=0.5)
    full = FrameCache(smiles, max_side=240)
    for row in (100, 3, 4, 90, 119):
        assert np.abs(lean.frame(row).astype(int) - full.frame(row)).mean() < 1.0
    assert len(lean._cache) * lean.frame(119).nbytes <= 0.5 * 2 ** 20 + lean.frame(119).nbytes

# --- alignment explorer -----------------------------------------------------------------------------

def test_alignment_slider_moves_the_cursor_and_frames(result):
    a = AlignmentExplorer(result)
    path, fr, fi = result.alignment.path, result.reference_features, result.imitation_features
    sent = Sent(a.plot)
    for k in (0, 5, len(path) // 2, len(path) - 1):
        a.slider.value = k
        assert a.rows == list(path[k])
        assert a.frame_indices == [int(fr.frame_index[path[k, 0]]), int(fi.frame_index[path[k, 1]])]
        # the report's axes: imitation across, reference up
        assert a.cursor.data['x'] == [pytest.approx(fi.times[path[k, 1]])] and a.cursor.data['y'] == [pytest.approx(fr.times[path[k, 0]])]
        assert a.span.location == k
        assert f'frame {fr.frame_index[path[k, 0]]} ' in a.captions[0].value
        assert f'frame {fi.frame_index[path[k, 1]]} ' in a.captions[1].value
        assert sent.take() < 1_500, 'a step patches the cursor and moves a span'
    assert len(a.cost_figure.renderers) == len(set(a.cost_figure.renderers))

def test_alignment_tap_jumps_to_the_nearest_pair(result):
    from bokeh.events import Tap
    a = AlignmentExplorer(result)
    for k in (3, 40, len(a.path) - 2):
        y, x = a.path_times[k] # (reference, imitation) seconds; the reference is up the cost map
        a.cost_figure._trigger_event(Tap(a.cost_figure, x=float(x) + 0.005, y=float(y) - 0.005))
        assert a.slider.value == k
    a.tap(None, None) # a tap outside the plot area
    assert a.slider.value == len(a.path) - 2

def test_alignment_marks_onset_apex_offset(result):
    a = AlignmentExplorer(result)
    legend = {item.label['value']: item.renderers[0] for item in a.cost_figure.legend[0].items}
    for name in ('onset', 'apex', 'offset'):
        xs = legend[name].data_source.data['xs']
        ys = legend[name].data_source.data['ys']
        ref_s = getattr(result.reference.segment, f'{name}_s'); imi_s = getattr(result.imitation.segment, f'{name}_s')
        assert [ref_s, ref_s] in [list(v) for v in ys], f'reference {name} marked (a horizontal line)'
        assert [imi_s, imi_s] in [list(v) for v in xs], f'imitation {name} marked (a vertical line)'
    apex = result.reference.segment.apex_row
    k = int(np.argmax(a.path[:, 0] == apex))
    a.set_step(k)
    assert 'apex' in a.captions[0].value
    assert phase(result.reference.segment, 0) in ('before onset', 'rising', 'apex')

def test_alignment_regions_and_differences(result):
    a = AlignmentExplorer(result)
    active = {r.name for r in result.regions if r.active}
    assert a.toggles.visible == active
    assert {n for n, r in a.renderers.items() if r.visible} == active
    a.toggles.set_visible(['jaw', 'lips'])
    k = len(a.path) // 2
    a.set_step(k)
    assert 'jaw' in a.table.value and 'lips' in a.table.value and 'left eye' not in a.table.value
    assert f'{a.difference["jaw"][k]:.2f}' in a.table.value
    fr, fi = result.reference_features, result.imitation_features
    ix = [fr.channels.index(b) for b in [r for r in regions() if r.name == 'jaw'][0].blendshapes]
    d = fr.delta[a.path[k, 0], ix] - fi.delta[a.path[k, 1], ix]
    assert a.difference['jaw'][k] == pytest.approx(np.linalg.norm(d))

# --- legible explorers (issue 13, item 7) -------------------------------------------------------------

def test_curves_are_named_shaded_by_region_and_in_a_legend(smiles):
    from bokeh.models import HoverTool
    from facemimic.plots import colour_shades
    s = FrameScrubber(smiles)
    by_name = {r.name: r for r in regions()}
    for name, r in s.renderers[0].items():
        d = r.data_source.data
        assert d['name'] == list(by_name[name].blendshapes) and set(d['region']) == {by_name[name].label}
        assert d['color'] == colour_shades(REGION_COLORS[name], len(d['name'])) and len(set(d['color'])) == len(d['name'])
        assert r.glyph.line_color == 'color' or getattr(r.glyph.line_color, 'field', None) == 'color'
        ix = [smiles.blendshape_names.index(b) for b in d['name']]
        assert np.allclose(np.array(d['ys']), smiles.blendshapes[:, ix].T)
    legend = s.figures[0].legend[0]
    assert [item.label['value'] for item in legend.items] == [by_name[n].label for n in REGION_NAMES]
    assert [item.renderers[0] for item in legend.items] == [s.renderers[0][n] for n in REGION_NAMES]
    tips = dict(s.figures[0].select_one(HoverTool).tooltips)
    assert tips['blendshape'] == '@name' and tips['region'] == '@region'

def test_click_on_the_curves_seeks(smiles, result):
    from bokeh.events import Tap
    s = FrameScrubber(smiles)
    t = smiles.timestamps - smiles.timestamps[0]
    for row in (7, 64, 118):
        s.figures[0]._trigger_event(Tap(s.figures[0], x=float(t[row]) + 0.004, y=0.3))
        assert s.slider.value == row and s.rows == [row]
    s.seek(None) # a click outside the plot area
    assert s.slider.value == 118
    pair = FrameScrubber([result.reference_track, result.imitation_track], ['reference', 'imitation'])
    pair.figures[1]._trigger_event(Tap(pair.figures[1], x=1.5, y=0.1)) # the second clip's figure seeks too
    assert pair.times[pair.step] == pytest.approx(1.5, abs=0.02)

def test_overlay_toggle(result):
    ref, imi = result.reference_track, result.imitation_track
    s = FrameScrubber([ref, imi], ['reference', 'imitation'])
    assert s.overlay is False and s.figures[1].visible and not any(r.visible for r in s.overlay_renderers.values())
    s.overlay_box.value = True # as a click on the checkbox does
    assert s.overlay and s.figures[1].visible is False and 'dashed' in s.figures[0].title.text
    assert all(r.visible for r in s.overlay_renderers.values()) and all(r.glyph.line_dash == [6] or r.glyph.line_dash == 'dashed' for r in s.overlay_renderers.values())
    d = s.overlay_renderers['lips'].data_source.data
    assert set(d['clip']) == {'imitation'} and np.allclose(d['xs'][0], imi.timestamps - imi.timestamps[0])
    assert all(r in s.figures[0].renderers for r in s.overlay_renderers.values())
    s.toggles.set_visible(['jaw'])
    assert [n for n, r in s.overlay_renderers.items() if r.visible] == ['jaw']
    sent = Sent(s.plot)
    s.set_step(20)
    assert sent.take() < 1_000, 'scrubbing while overlaid still only moves the cursors'
    s.set_overlay(False)
    assert s.overlay_box.value is False and s.figures[1].visible and not any(r.visible for r in s.overlay_renderers.values())
    assert s.figures[0].title.text == 'reference' and s.renderers[1]['jaw'].visible
    assert FrameScrubber([ref, imi], overlay=True).figures[1].visible is False
    with pytest.raises(OptionError, match='needs two clips'): FrameScrubber(ref).set_overlay(True)

def test_slider_labels(smiles, result):
    assert FrameScrubber(smiles).slider.description == 'frame'
    assert FrameScrubber([result.reference_track, result.imitation_track]).slider.description == 'time step'
    a = AlignmentExplorer(result)
    assert a.slider.description == 'aligned step' and a.diff_figure.xaxis[0].axis_label == 'aligned step'
    assert a.slider.style.description_width == 'initial', 'the whole label is shown'

def test_cost_map_is_the_reports(result):
    from bokeh.models import ColorBar
    from bokeh.palettes import Magma256
    from facemimic.plots import cost_matrix
    a = AlignmentExplorer(result)
    c = cost_matrix(result)
    bar = a.cost_figure.select_one(ColorBar)
    assert bar is not None and list(bar.color_mapper.palette) == list(Magma256) # the report's PNG uses matplotlib's magma
    assert bar.color_mapper.low == pytest.approx(c['cost'].min()) and bar.color_mapper.high == pytest.approx(c['cost'].max())
    assert (a.cost_figure.xaxis[0].axis_label, a.cost_figure.yaxis[0].axis_label) == ('imitation, seconds', 'reference, seconds')
    image = [r for r in a.cost_figure.renderers if 'image' in r.data_source.data][0]
    assert np.array_equal(image.data_source.data['image'][0], c['cost']) # rows: reference, up
    assert a.cost_figure.x_range.start < c['imitation_times'][0] < c['imitation_times'][-1] < a.cost_figure.x_range.end

def test_apex_only_on_the_plateau(result):
    from bokeh.models import BoxAnnotation
    a = AlignmentExplorer(result)
    for c, seg in enumerate((result.reference.segment, result.imitation.segment)):
        first, last = seg.plateau
        assert last - first < seg.offset_row - seg.onset_row, 'the plateau is part of the episode'
        for k in range(0, len(a.path), 3):
            a.set_step(k)
            row = a.path[k, c]
            assert (' · apex<br>' in a.captions[c].value) == (first <= row <= last), (c, k, row)
    steps = np.flatnonzero((a.path[:, 0] >= result.reference.segment.plateau[0]) & (a.path[:, 0] <= result.reference.segment.plateau[1]))
    box = a.diff_figure.select_one(BoxAnnotation)
    assert (box.left, box.right) == (steps[0] - 0.5, steps[-1] + 0.5)

def mismatched(result):
    "A copy of `result` whose first still region is one the imitation moved (a mismatch), with its score kept high."
    import copy, dataclasses
    r = copy.copy(result)
    still = next(k for k, g in enumerate(result.regions) if not g.active)
    r.regions = list(result.regions)
    r.regions[still] = dataclasses.replace(result.regions[still], imitation_moved=True, score=84.0)
    return r, r.regions[still]

def test_a_mismatch_is_coloured_as_one_in_the_explorer_and_the_report(result):
    from facemimic.plots import MISMATCH_SCORE, score_colour
    from facemimic.report import report_blocks, html_fragment
    r, region = mismatched(result)
    assert region.mismatch and score_colour(84.0) != score_colour(MISMATCH_SCORE)
    e = ResultExplorer(r)
    e.toggles.set_visible([region.name])
    cell = e.region_table.value
    assert f'background:{score_colour(MISMATCH_SCORE)}' in cell and '>84</span> (moved; reference still)' in cell
    assert score_colour(84.0) not in cell
    e.close()
    page = html_fragment(report_blocks(r, figures={}))
    row = next(tr for tr in page.split('<tr>') if region.label + ' (moved; reference still)' in tr)
    assert f'background:{score_colour(MISMATCH_SCORE)}' in row and score_colour(84.0) not in row
    ok = next(tr for tr in page.split('<tr>') if any(g.active and g.score is not None and tr.startswith(f'<td>{g.label}<') for g in r.regions))
    assert 'background:' in ok # the other rows keep their score's colour

# --- result explorer and explore() ------------------------------------------------------------------

def test_result_explorer_shares_toggles_and_frames(result):
    e = ResultExplorer(result)
    assert e.scrubber.toggles is e.alignment.toggles is e.toggles
    assert all(a is b is c for a, b, c in zip(e.scrubber.sources, e.alignment.sources, e.sources))
    e.toggles.checkboxes['jaw'].value = not ('jaw' in e.toggles.visible)
    shown = 'jaw' in e.toggles.visible
    assert e.alignment.renderers['jaw'].visible == shown == e.scrubber.renderers[0]['jaw'].visible
    assert ('> jaw<' in e.region_table.value) == shown
    assert f'{result.score:.0f}/100' in e.header.value
    assert e.tabs.titles == ('Frames', 'Alignment')
    e.close()
    assert e.widget.comm is None and e.alignment.plot.comm is None

def test_explore_from_a_saved_result_without_mediapipe(result, tmp_path, monkeypatch, sample_media):
    # copy the media so that they can be removed afterwards
    for name in ('d0_smile.mp4', 'single_face_smile.mp4'): shutil.copy(sample_media/name, tmp_path/name)
    r = compare(tmp_path/'d0_smile.mp4', tmp_path/'single_face_smile.mp4')
    r.save(tmp_path/'result.npz')
    import facemimic.backends.mediapipe
    def no_mediapipe(*a, **k): raise AssertionError('MediaPipe ran')
    monkeypatch.setattr(facemimic.backends.mediapipe.Landmarker, '__init__', no_mediapipe)
    e = explore(tmp_path/'result.npz')
    assert isinstance(e, ResultExplorer) and e.result.score == pytest.approx(r.score)
    assert [s.source for s in e.sources] == ['media', 'media']
    (tmp_path/'d0_smile.mp4').unlink(); (tmp_path/'single_face_smile.mp4').unlink()
    e = explore(str(tmp_path/'result.npz'))
    assert [s.source for s in e.sources] == ['crops', 'crops']
    e.alignment.set_step(10)
    assert decode(e.alignment.images[0].value).shape == (336, 336, 3)

def test_explore_dispatch(result, smiles, tmp_path):
    assert isinstance(explore(result), ResultExplorer)
    assert isinstance(explore(smiles), FrameScrubber)
    assert len(explore([smiles, result.imitation_track]).images) == 2
    smiles.save(tmp_path/'smiles.npz')
    s = explore(tmp_path/'smiles.npz')
    assert isinstance(s, FrameScrubber) and s.tracks[0].n_frames == smiles.n_frames
    assert isinstance(explore(REPO/'sample_media'/'d19_smiles.mp4'), FrameScrubber) # extracted (from the cache)
    np.savez(tmp_path/'other.npz', x=np.zeros(2))
    (tmp_path/'broken.npz').write_bytes(b'not a zip')
    with pytest.raises(MediaError, match='not a saved facemimic track or result'): explore(tmp_path/'other.npz')
    with pytest.raises(MediaError, match='not a saved facemimic track or result'): explore(tmp_path/'broken.npz')
    with pytest.raises(MediaError, match='does not exist'): explore(tmp_path/'missing.npz')
    with pytest.raises(OptionError, match=r'explore\(\) takes'): explore(3.5)
    with pytest.raises(OptionError, match=r'explore\(\) takes'): explore([])

def test_region_toggles_model():
    t = RegionToggles(visible=['lips'], active=['lips', 'jaw'])
    calls = []
    t.on_change(calls.append)
    t.set_region('jaw'); t.set_region('jaw', False); t.toggle_region('nose')
    assert calls == [{'lips', 'jaw'}, {'lips'}, {'lips', 'nose'}]
    assert [cb.value for cb in t.checkboxes.values()] == [n in ('lips', 'nose') for n in REGION_NAMES]
    buttons = [w for w in t.widget.children[0].children if hasattr(w, 'on_click')]
    assert [b.description for b in buttons] == ['all', 'none', 'moved in the reference']
    buttons[2].click(); assert t.visible == {'lips', 'jaw'} and len(calls) == 4
    buttons[0].click(); assert t.visible == set(REGION_NAMES)
    with pytest.raises(OptionError, match='Unknown regions'): t.set_visible(['forehead'])

def test_draw_landmarks_keeps_the_cached_frame(smiles):
    src = FrameCache(smiles)
    before = src.frame(0).copy()
    out = draw_landmarks(src.frame(0), src.points(0), REGION_NAMES)
    assert np.array_equal(src.frame(0), before) and not np.array_equal(out, before)

# --- the app, from Python -----------------------------------------------------------------------------

def upload_value(name:str, content:bytes)->tuple:
    "What ipywidgets' FileUpload holds after the browser sends a file."
    import datetime
    return ({'name': name, 'type': '', 'size': len(content), 'content': memoryview(content),
             'last_modified': datetime.datetime.now(datetime.timezone.utc)},)

def test_app_compares_two_uploads_and_survives_bad_ones(sample_media):
    from facemimic.app import App
    app = App(figures=False)
    assert app.run() is None and 'Choose the reference and the imitation first' in app.message.value
    app.inputs['reference'].upload.value = upload_value('ref clip.mp4', (sample_media/'d0_smile.mp4').read_bytes())
    app.inputs['imitation'].upload.value = upload_value('../../imi.mp4', (sample_media/'single_face_smile.mp4').read_bytes())
    assert app.inputs['imitation'].path.name == 'imi.mp4' and app.work in app.inputs['imitation'].path.parents
    app.compare_button.click()
    assert app.result is not None and app.message.value == ''
    assert app.score_text in app.results.children[0].value and app.stage.value == 'done'
    assert app.progress.layout.visibility == 'hidden' and not app.compare_button.disabled
    assert json.loads(app.downloads['files']['json'])['score'] == pytest.approx(app.result.score, abs=1e-5)
    saved = app.downloads['folder']/'result.npz'
    assert load_result(saved).score == pytest.approx(app.result.score)
    assert isinstance(app.explorer, ResultExplorer)
    old_explorer = app.explorer
    # a text file: a clear message, the old result gone, the app still usable
    app.inputs['reference'].upload.value = upload_value('notes.txt', b'hello')
    app.compare_button.click()
    assert app.result is None and app.results.children == () and old_explorer.widget.comm is None
    assert 'The reference could not be used. notes.txt is not a video or image' in app.message.value
    assert str(app.work) not in app.message.value and not app.compare_button.disabled
    # no face
    app.inputs['reference'].set_sample('no_face.jpg')
    assert app.run() is None and 'No face was found in no_face.jpg' in app.message.value
    # and back to a good comparison, with a sample this time
    app.inputs['reference'].sample.value = 'd0_smile.mp4'
    assert app.inputs['reference'].kind == 'sample' and app.inputs['reference'].upload.value == ()
    assert app.run() is not None and app.message.value == ''

def test_app_unexpected_errors_are_shown(sample_media, monkeypatch):
    from facemimic.app import App
    app = App(figures=False)
    app.inputs['reference'].set_sample('d0_smile.mp4'); app.inputs['imitation'].set_sample('single_face_smile.mp4')
    def broken(*a, **k): raise ZeroDivisionError('boom')
    monkeypatch.setattr(sys.modules['facemimic.compare'], 'compare', broken)
    assert app.run() is None
    assert 'Something unexpected went wrong (ZeroDivisionError: boom)' in app.message.value and 'still running' in app.message.value
    monkeypatch.undo()
    assert app.run() is not None

def test_app_shows_the_result_when_the_report_fails(sample_media, monkeypatch):
    import facemimic.report
    from facemimic.app import App
    def broken(*a, **k): raise OSError('disk full')
    monkeypatch.setattr(facemimic.report, 'write_report', broken)
    app = App(figures=False)
    app.inputs['reference'].set_sample('d0_smile.mp4'); app.inputs['imitation'].set_sample('single_face_smile.mp4')
    assert app.run() is not None and app.message.value == ''
    assert 'The full report could not be written (OSError: disk full)' in app.results.children[1].value
    assert sorted(app.downloads['files']) == ['json', 'npz'] and 'facemimic-download-json' in app.results.children[1].value

def test_app_command(capsys):
    from facemimic.app import APP_NOTEBOOK
    from facemimic.cli import build_parser
    parser = build_parser()
    args = parser.parse_args(['app', '--port', '0', '--no-browser', '--print-command'])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f'-m voila {APP_NOTEBOOK}' in out and '--no-browser' in out and '--Voila.ip=127.0.0.1' in out
    assert '--port=0' not in out
    assert '--Voila.config_file_paths=' in out

def test_notebooks_hold_no_widget_state():
    "Frames never go into a notebook: no widget state in the metadata, no outputs in the app notebook."
    from facemimic.app import APP_NOTEBOOK
    for p in [APP_NOTEBOOK, REPO/'nbs'/'11_explorer.ipynb', REPO/'nbs'/'12_app.ipynb']:
        nb = json.loads(p.read_text())
        assert 'widgets' not in nb['metadata'], p
        assert not any(c.get('outputs') for c in nb['cells']), p
