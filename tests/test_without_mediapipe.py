"""A saved track and a saved result load, and a result is recomputed, in a Python where MediaPipe cannot be imported."""
from __future__ import annotations
import subprocess, sys, textwrap
from conftest import SAMPLE_MEDIA
from facemimic.compare import compare
from facemimic.extraction import extract

def test_saved_track_and_result_load_without_mediapipe(tmp_path):
    track = extract(SAMPLE_MEDIA/'single_face_smile.mp4')
    track.save(tmp_path/'track.npz')
    result = compare(SAMPLE_MEDIA/'d0_smile.mp4', track)
    result.save(tmp_path/'result.npz')
    code = textwrap.dedent(f"""
        import sys
        sys.modules['mediapipe'] = None # `import mediapipe` now raises ImportError
        import facemimic
        track = facemimic.load_track({str(tmp_path/'track.npz')!r})
        result = facemimic.load_result({str(tmp_path/'result.npz')!r})
        assert 'mediapipe' not in sys.modules or sys.modules['mediapipe'] is None
        print(track.n_frames, repr(result.score))
    """)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    frames, score = r.stdout.split()
    assert int(frames) == track.n_frames and abs(float(score) - result.score) < 1e-9
