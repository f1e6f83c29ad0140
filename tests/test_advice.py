"""Colours and words agree: a region the imitation moved where the reference's stayed still is shown as a mismatch; advice reaches the surfaces."""
import numpy as np
from facemimic.compare import compare_tracks
from facemimic.extraction import extract
from facemimic.plots import region_map, score_colour, MISMATCH_SCORE
from facemimic.explorer import _result_header

def test_moved_brows_are_not_green(sample_media):
    d0 = extract(sample_media/'d0_smile.mp4')
    b, n = d0.blendshapes.copy(), d0.blendshape_names
    smile = b[:, n.index('mouthSmileLeft')]
    b[:, n.index('browInnerUp')] += 0.6 * smile / np.nanmax(smile)
    r = compare_tracks(d0, d0.replace(blendshapes=b))
    items = {it['name']: it for it in region_map(r)}
    brow = items['brow_inner_left']
    assert brow['mismatch'] and brow['colour'] == score_colour(MISMATCH_SCORE) != score_colour(brow['score'])
    assert all(it['colour'] == score_colour(it['score']) for it in items.values() if not it['mismatch'])
    assert 'Relax your brows' in _result_header(r)
