"""`facemimic compare REF A B ... --video FILE.mp4`: one side-by-side video per ranked imitation, `FILE-<imitation>.mp4`
beside FILE.mp4, each the video `compare REF A --video` writes for that pair; the paths checked before anything is compared."""
from __future__ import annotations
import pytest
from facemimic.media import sample_path
from test_cli import run, user_lines
from test_video import frames_of

@pytest.fixture(scope='module')
def several(tmp_path_factory):
    "The CLI with two imitations and a photo without a face, and --video."
    folder = tmp_path_factory.mktemp('videos')
    clips = [sample_path(n) for n in ('single_face_smile.mp4', 'd18_pucker.mp4', 'no_face.jpg')]
    return folder, run('compare', sample_path('d0_smile.mp4'), *clips, '--video', folder/'smiles.mp4')

def test_one_video_per_imitation(several):
    from facemimic.compare import compare
    from facemimic.video import mp4_info, side_by_side_plan
    folder, r = several
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ['smiles-d18_pucker.mp4', 'smiles-single_face_smile.mp4'] # nothing else, no temporary files
    for name in ('single_face_smile', 'd18_pucker'):
        info = mp4_info(folder/f'smiles-{name}.mp4')
        expected = len(side_by_side_plan(compare(sample_path('d0_smile.mp4'), sample_path(f'{name}.mp4'))))
        assert (info['codec'], info['pixel_format'], info['frames']) == ('h264', 'yuv420p', expected)
        assert f'side-by-side video of {name}.mp4 written to {folder/f"smiles-{name}.mp4"}' in r.stderr
    assert 'warning: no_face.jpg was not ranked' in r.stderr # the photo without a face has no video, and stops nothing

def test_same_video_as_one_pair(several, tmp_path):
    "The video of one imitation among several is the one `compare REF A --video` writes for that pair."
    folder, _ = several
    r = run('compare', sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4'), '--video', tmp_path/'one.mp4', '-q')
    assert r.returncode == 0, r.stderr
    one, among = frames_of(tmp_path/'one.mp4'), frames_of(folder/'smiles-single_face_smile.mp4')
    assert len(one) == len(among) and all((a == b).all() for a, b in zip(one, among))

@pytest.mark.parametrize('bad', ['suffix', 'folder', 'unwritable'])
def test_video_paths_checked_first(tmp_path, bad):
    "A bad --video with several imitations: one line, exit 2, before any imitation is compared, nothing written."
    (tmp_path/'v-d18_pucker.mp4').mkdir()
    video = {'suffix': tmp_path/'v.avi', 'folder': tmp_path/'v.mp4', 'unwritable': '/proc/facemimic/v.mp4'}[bad]
    r = run('compare', sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4'), sample_path('d18_pucker.mp4'), '--video', video, '--no-cache')
    lines = user_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith('facemimic compare: error: --video'), r.stderr
    assert 'imitation 1 of' not in r.stderr # no comparison started
    assert sorted(p.name for p in tmp_path.iterdir()) == ['v-d18_pucker.mp4']
