"""Expression transfer (issue 16): speed of the warp, and the closed-loop checks on the shipped samples.

Speed: output frames per second at 512x512 (`astronaut.png` driven by `d0_smile.mp4`), excluding the one-off
extraction of the source and driving clip, for the warp alone, the warp with the mark, and the whole `transfer`
call (warp, mark, H.264 encoding, tagging, sidecar). The in-process baseline is one full-frame `cv2.remap`
through a fixed map, the cheapest warp there is; the ratio says what the mesh warp costs on top of it.
The issue's goal: at least 15 output frames/s.

Checks (`TransferResult.check`, i.e. facemimic re-extracts the output and `compare_tracks` compares it with the
driving clip): for each shipped photo and driving clip, the score at intensity 1 (goal >= 75), the amplitude ratio at
intensity 0.5 (goal 0.5 +- 0.15) and 1, the SSIM of the first frame (outside the mark) and of the still parts, and at
intensity 0 the score and whether compare warns that the output does not move. `amp/photo` is the amplitude ratio
when the output's neutral is the source photo itself (rather than the resting level `compare` estimates), to show
how much of the movement is the photo's own expression.
`pose` re-extracts a `follow_pose` output and correlates its head rotation with the driving clip's.
Usage: python benchmarks/bench_transfer.py [--speed-only] [--checks-only]
"""
import sys, tempfile, time, warnings
from pathlib import Path
import cv2
import numpy as np
from facemimic.compare import compare_tracks
from facemimic.extraction import extract
from facemimic.features import estimate_neutral
from facemimic.media import read_image, sample_path
from facemimic.transfer import MeshWarp, add_mark, transfer, transfer_targets

def best_of(fn, n=3):
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))

def speed():
    photo, drv = sample_path('astronaut.png'), extract(sample_path('d0_smile.mp4'))
    image, src = read_image(photo), extract(photo)
    targets = transfer_targets(src, drv)
    warp = MeshWarp(image, src.landmarks_px()[0])
    h, w = image.shape[:2]
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32) + 0.3, np.arange(h, dtype=np.float32) + 0.2)
    n = len(targets)
    base = best_of(lambda: [cv2.remap(image, mx, my, cv2.INTER_LINEAR) for _ in range(n)])
    ours = best_of(lambda: [warp(t) for t in targets])
    marked = best_of(lambda: [add_mark(warp(t)) for t in targets])
    with tempfile.TemporaryDirectory() as d:
        whole = best_of(lambda: transfer(photo, drv, out=Path(d)/'out.mp4'), n=2)
    ms = lambda t: 1000 * t / n
    print(f"{w}x{h}, {n} frames ({photo.name} driven by d0_smile.mp4); median of runs")
    print(f"baseline (one full-frame cv2.remap): {ms(base[1]):.2f} ms/frame")
    print(f"mesh warp:                           {ms(ours[1]):.2f} ms/frame ({ours[1] / base[1]:.1f}x baseline), {n / ours[1]:.0f} frames/s")
    print(f"mesh warp + mark:                    {ms(marked[1]):.2f} ms/frame, {n / marked[1]:.0f} frames/s")
    print(f"whole transfer (cached extraction, encode, tags, sidecar): {ms(whole[1]):.2f} ms/frame, {n / whole[1]:.0f} frames/s;"
          f" goal >= 15 frames/s -> {'met' if n / whole[1] >= 15 else 'NOT met'}")

def moves_warning(ws): return any('did not move' in w or 'no movement' in w or 'does not move' in w or 'hardly moves' in w for w in ws)

def checks():
    print(f"\n{'photo':17} {'driving':11} {'int':>4} {'score':>6} {'amp':>6} {'amp/photo':>9} {'ssim1':>6} {'still':>6}  notes")
    for photo in ('neutral_face.jpg', 'astronaut.png'):
        for driving in ('smile', 'pucker', 'open-mouth'):
            for intensity in (1.0, 0.5, 0.0):
                with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    r = transfer(sample_path(photo), driving, intensity=intensity, out=Path(d)/'out.mp4')
                    c = r.check()
                    out = extract(r.path)
                    own = compare_tracks(r.driving_track, out, imitation_neutral=estimate_neutral(out, neutral_track=r.source_track))
                amp = c['amplitude_ratio']
                goal = {1.0: f"score>=75 {'met' if c['score'] >= 75 else 'NOT met'}",
                        0.5: f"amp 0.5+-0.15 {'met' if amp is not None and abs(amp - 0.5) <= 0.15 else 'NOT met'}",
                        0.0: f"still: warns no movement {'yes' if moves_warning(c['warnings']) else 'NO'}"}[intensity]
                a2 = own.timing['amplitude_ratio']
                print(f"{photo:17} {driving:11} {intensity:4.1f} {c['score']:6.1f} {amp if amp is not None else float('nan'):6.2f} "
                      f"{a2 if a2 is not None else float('nan'):9.2f} {c['ssim_first']:6.3f} {c['ssim_still']:6.3f}  {goal}", flush=True)

def pose():
    "follow_pose: the output's head rotation, re-extracted, against the driving clip's (d19_smiles.mp4 turns by a few degrees)."
    with tempfile.TemporaryDirectory() as d:
        r = transfer(sample_path('neutral_face.jpg'), sample_path('d19_smiles.mp4'), follow_pose=True, out=Path(d)/'pose.mp4')
        out, drv = extract(r.path), r.driving_track
    print("\nfollow_pose (neutral_face.jpg driven by d19_smiles.mp4): driving vs output head rotation, re-extracted")
    for k, name in enumerate(('yaw', 'pitch', 'roll')):
        a, b = drv.pose[:, k] - np.median(drv.pose[:, k]), out.pose[:, k] - np.median(out.pose[:, k])
        print(f"  {name:5}: driving range {np.ptp(a):.1f} deg, output range {np.ptp(b):.1f} deg, correlation {np.corrcoef(a, b)[0, 1]:.2f}")

if __name__ == '__main__':
    if '--checks-only' not in sys.argv: speed()
    if '--speed-only' not in sys.argv: checks(); pose()
