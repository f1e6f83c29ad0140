"""Time per output frame of the side-by-side video (`facemimic.video.write_side_by_side`), against plain decoding.

The baseline, in the same process, is the least any side-by-side video must do per output frame: decode the
frames it shows, from both files, with `media.Clip` (OpenCV), nothing else. The video does that too (each part reads
each clip once from its start), then resizes each frame to its panel, draws the landmarks and captions, and
encodes the result with libx264 (the imageio-ffmpeg wheel's ffmpeg, a separate process that runs beside ours).

Each measurement is repeated (`--repeat`, default 3) and the median is reported, in ms per output frame; the
ratio is video / baseline. The comparison is the shipped smile pair (d0_smile.mp4, 25 fps, 512x512, as the
reference; single_face_smile.mp4, 30 fps, 640x360, as the imitation): 150 output frames with mode 'both'.

Run:  python benchmarks/bench_video.py [--height 360] [--repeat 3]
"""
from __future__ import annotations
import argparse, statistics, tempfile, time
from pathlib import Path

def baseline_ms(result, plan)->float:
    "Decode, with `media.Clip`, every frame the plan shows (each part reads both clips from the start), in ms."
    from facemimic.media import Clip
    t0 = time.perf_counter()
    for part in plan.part.unique():
        rows = plan[plan.part == part]
        for track, col in ((result.reference_track, 'reference_row'), (result.imitation_track, 'imitation_row')):
            last = int(track.frame_index[int(rows[col].max())])
            with Clip(track.meta['path']) as clip:
                for f in clip:
                    if f.index >= last: break
    return 1000 * (time.perf_counter() - t0)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--height', type=int, default=360, help='panel height, pixels')
    ap.add_argument('--repeat', type=int, default=3, help='runs of each measurement; the median is reported')
    args = ap.parse_args(argv)
    from facemimic.compare import compare
    from facemimic.media import sample_path
    from facemimic.video import side_by_side_frames, side_by_side_plan, write_side_by_side
    result = compare(sample_path('d0_smile.mp4'), sample_path('single_face_smile.mp4'))
    plan = side_by_side_plan(result, 'both')
    n = len(plan)
    base, frames, video = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            base.append(baseline_ms(result, plan) / n)
            t0 = time.perf_counter(); sum(1 for _ in side_by_side_frames(result, 'both', args.height)); frames.append(1000 * (time.perf_counter() - t0) / n)
            t0 = time.perf_counter(); write_side_by_side(result, Path(tmp)/'v.mp4', 'both', args.height); video.append(1000 * (time.perf_counter() - t0) / n)
    b, f, v = (statistics.median(x) for x in (base, frames, video))
    print(f"{n} output frames, panels {args.height} px high, median of {args.repeat} runs")
    print(f"baseline (decode both clips)      {b:7.2f} ms/frame")
    print(f"frames (decode, draw, captions)   {f:7.2f} ms/frame   ratio {f / b:5.2f}")
    print(f"mp4 written (frames + libx264)    {v:7.2f} ms/frame   ratio {v / b:5.2f}   ({v * n / 1000:.2f} s for the video)")

if __name__ == '__main__': main()
