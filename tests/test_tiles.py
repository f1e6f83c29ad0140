"""Issue 12, item 12: a small face in a large photo is found on zoomed tiles.

The frame is built from the shipped astronaut photo, shrunk and pasted into a 2560 x 1912 grey frame (the
size of the press photo of the issue), in colour or in grey, at a corner or inside. Her face is 17.5 % of the
photo's width, so a 1460-pixel photo gives a face a tenth of the frame's width, as in the issue, and an
800-pixel one a face of a eighteenth.
"""
from __future__ import annotations
import numpy as np
import pytest
from facemimic.errors import NoFaceError

W, H = 2560, 1912

@pytest.fixture(scope='module')
def photo_track(sample_media):
    "The track of the photo itself: where the landmarks must land once it is pasted."
    from facemimic.extraction import extract
    return extract(sample_media/'astronaut.png')

def pasted(sample_media, path, side:int, x0:int, y0:int, grey:bool):
    import cv2
    photo = cv2.resize(cv2.imread(str(sample_media/'astronaut.png')), (side, side), interpolation=cv2.INTER_AREA)
    if grey: photo = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    canvas = np.full((H, W) if grey else (H, W, 3), 128, np.uint8)
    canvas[y0:y0 + side, x0:x0 + side] = photo
    cv2.imwrite(str(path), canvas)
    return path

@pytest.mark.parametrize('side,x0,y0,grey', [(1460, 1000, 300, True), (800, 1700, 1100, False), (800, 0, 0, True)])
def test_small_face_in_a_large_photo_is_found_where_it_is(side, x0, y0, grey, photo_track, sample_media, tmp_path):
    "The whole frame shows no face; the tiles find it, and its landmarks land on the pasted face (within 3 % of its width)."
    from facemimic.extraction import extract
    path = pasted(sample_media, tmp_path/'far.png', side, x0, y0, grey)
    with pytest.raises(NoFaceError): extract(path, tiles=False)
    track = extract(path)
    assert track.face_mask.all() and track.meta['tile_grid'] in (2, 3, 4) and track.meta['options']['tiles'] is True
    got = track.landmarks[0, :, :2] * (W, H)
    want = photo_track.landmarks[0, :, :2] * (photo_track.width, photo_track.height) * side / photo_track.width + (x0, y0)
    face_width = np.ptp(want[:, 0])
    assert np.median(np.linalg.norm(got - want, axis=1)) < 0.03 * face_width
    crop_gap = np.abs(track.crops[0].astype(int) - photo_track.crops[0].astype(int)).mean()
    assert crop_gap < 25, crop_gap # the aligned crop shows the same face (from the full image, not the tile)

def test_large_photo_without_a_face_still_fails(sample_media, tmp_path):
    "Tiles that find nothing end in NoFaceError, as before."
    import cv2
    from facemimic.extraction import extract
    img = cv2.imread(str(sample_media/'no_face.jpg'))
    cv2.imwrite(str(tmp_path/'big.png'), cv2.resize(img, (1280, int(1280 * img.shape[0] / img.shape[1]))))
    with pytest.raises(NoFaceError): extract(tmp_path/'big.png')
