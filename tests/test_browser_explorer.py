"""The explorers' curves as a user sees them: the Bokeh figures of `FrameScrubber`, exported as a standalone HTML page
(`bokeh.embed.file_html`, BokehJS inline, no server), opened in headless Chromium with Playwright (issue 13, item 7).

The mouse is moved onto one curve, at a time where no other curve is near, and the tooltip the page shows must
name that curve's blendshape, its region and its clip. The page is the same Bokeh document the explorer sends
to JupyterLab; only the Python callbacks (a click's jump) need a kernel, and tests/test_explorer.py drives those.

Skipped when Chromium (`/usr/bin/chromium`, or `$FACEMIMIC_CHROMIUM`) or Playwright is missing; never runs
`playwright install`. A few seconds with a warm extraction cache. Screenshots go to `artifacts/`."""
from __future__ import annotations
import logging
import numpy as np
import pytest
from browser_support import ARTIFACTS, needs_chromium

pytestmark = needs_chromium

# the page position of a data point of a figure, from the figure's own scales (BokehJS views)
_POINT_JS = """([id, x, y]) => {
  const walk = v => { if (v.model.id === id) return v; for (const c of (v.child_views || [])) { const r = walk(c); if (r) return r; } };
  const view = Object.values(Bokeh.index).map(walk).find(v => v);
  const box = view.canvas_view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
}"""

def lone_point(curves:list, times:np.ndarray, visible:list)->tuple:
    "(curve, row) of the point of a visible curve farthest from every other curve at its time, away from the ends."
    ys = np.array([c['y'] for c in curves])
    best, found = -1.0, None
    for k, c in enumerate(curves):
        if not visible[k]: continue
        others = np.delete(ys, k, 0)
        gap = np.abs(others - ys[k]).min(0)
        gap[:3] = gap[-3:] = -1 # not at the ends of the time line
        gap = np.minimum(gap, np.minimum(np.r_[gap[1:], -1], np.r_[-1, gap[:-1]])) # clear at the neighbouring frames too
        row = int(np.argmax(gap))
        if gap[row] > best: best, found = float(gap[row]), (c, row)
    assert best > 0.05, f'no curve stands apart by more than {best:.3f}'
    return found

def curves_of(figure)->list:
    "Every line of every multi-line of `figure`: dict(y, name, region, clip, visible)."
    out = []
    for r in figure.renderers:
        d = r.data_source.data
        if 'name' not in d: continue
        out += [dict(y=np.asarray(y), name=n, region=g, clip=c, visible=r.visible) for y, n, g, c in zip(d['ys'], d['name'], d['region'], d['clip'])]
    return out

def hover_text(browser, root, figure, name:str, x:float, y:float, shot:str)->str:
    "Open `root` (the explorer's Bokeh layout, as sent to JupyterLab) as a standalone page, move the mouse to (x, y) of `figure` and return the tooltip's text."
    from bokeh.embed import file_html
    from bokeh.resources import INLINE
    quiet = logging.getLogger('bokeh.embed.util') # the explorers' Python callbacks cannot run in a standalone page; that is fine here
    level, quiet.level = quiet.level, logging.ERROR
    try: page_html = file_html(root, INLINE, 'facemimic explorer curves')
    finally: quiet.level = level
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS/f'{shot}.html'
    path.write_text(page_html)
    page = browser.new_page(viewport={'width': 1200, 'height': 700})
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => window.Bokeh && Bokeh.index && Object.keys(Bokeh.index).length > 0", timeout=20_000)
        px, py = page.evaluate(_POINT_JS, [figure.id, x, y])
        page.mouse.move(px - 30, py - 30)
        page.mouse.move(px, py, steps=5)
        tip = page.locator('.bk-Tooltip').filter(has_text=name).first
        tip.wait_for(state='visible', timeout=10_000)
        page.screenshot(path=str(ARTIFACTS/f'{shot}.png'))
        return tip.evaluate("el => [el, el.shadowRoot].map(n => n ? n.textContent : '').join(' ')") # its rows live in its shadow root
    finally: page.close()

def test_hover_names_the_blendshape(browser, sample_media):
    from facemimic.explorer import FrameScrubber
    from facemimic.extraction import extract
    track = extract(sample_media/'d19_smiles.mp4')
    s = FrameScrubber(track)
    curves = curves_of(s.figures[0])
    test_curve, row = lone_point(curves, s.times, [c['visible'] for c in curves])
    text = hover_text(browser, s.figures[0].document.roots[0], s.figures[0], test_curve['name'], float(s.times[row]), float(test_curve['y'][row]), 'explorer_hover')
    assert test_curve['name'] in text and test_curve['region'] in text and 'd19_smiles.mp4' in text, text
    assert track.blendshape_names.index(test_curve['name']) >= 0

def test_hover_names_the_clip_when_overlaid(browser, result):
    from facemimic.explorer import FrameScrubber
    s = FrameScrubber([result.reference_track, result.imitation_track], ['reference', 'imitation'], overlay=True)
    assert s.figures[1].visible is False
    curves = [c for c in curves_of(s.figures[0]) if c['visible']]
    imitation = [k for k, c in enumerate(curves) if c['clip'] == 'imitation']
    assert imitation, 'the imitation is drawn on the first axis'
    # the imitation's curves on the first axis, resampled to the reference's times so that they can be compared
    t_ref = s.figures[0].renderers[0].data_source.data['xs'][0]
    t_imi = result.imitation_track.timestamps - result.imitation_track.timestamps[0]
    on_ref = [dict(c, y=np.interp(t_ref, t_imi, c['y']) if c['clip'] == 'imitation' else c['y']) for c in curves]
    test_curve, row = lone_point(on_ref, t_ref, [c['clip'] == 'imitation' for c in on_ref])
    text = hover_text(browser, s.figures[0].document.roots[0], s.figures[0], test_curve['name'], float(t_ref[row]), float(test_curve['y'][row]), 'explorer_overlay_hover')
    assert test_curve['name'] in text and 'imitation' in text, text

@pytest.fixture(scope='module')
def result(sample_media):
    from facemimic.compare import compare
    return compare(sample_media/'d0_smile.mp4', sample_media/'single_face_smile.mp4')
