"""Time per output frame of the side-by-side video (`facemimic.video.write_side_by_side`), against plain decoding.

The baseline, in the same process, is the least any side-by-side video must do per output frame: decode the
frames it shows, from both files, with `media.Clip` (OpenCV), nothing else. The video does that too (each part reads
each clip once from its start), then resizes each frame to its panel, draws the landmarks and captions, and
encodes the result with libx264 (the imageio-ffmpeg wheel's ffmpeg, a separate process that runs beside ours).

One pass against two: the frames of mode 'both' come from one decoding pass (the aligned part's pictures kept from
the raw part); before, each part decoded both clips from their start. The two-pass figure is measured in the same
process as the frames of mode 'raw' then those of mode 'aligned', which is what the two passes did (the frames are
identical, see nbs/09a_video.ipynb); the ratio is one pass / two passes, also with the kept pictures as JPEG
(`_KEEP_MB = 0`, what clips too long to keep whole get), in wall-clock time and in this process's CPU time (which
other processes on a shared machine do not inflate).

Each measurement is repeated (`--repeat`, default 3) and the median is reported, in ms per output frame; the
ratio is video / baseline. The comparison is the shipped smile pair (d0_smile.mp4, 25 fps, 512x512, as the
reference; single_face_smile.mp4, 30 fps, 640x360, as the imitation): 150 output frames with mode 'both';
`--reference` and `--imitation` take other files.

Run:  python benchmarks/bench_video.py [--height 360] [--repeat 3] [--reference A.mp4 --imitation B.mp4]
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
    ap.add_argument('--reference', help='reference video (default: sample_media/d0_smile.mp4)')
    ap.add_argument('--imitation', help='imitation video (default: sample_media/single_face_smile.mp4)')
    args = ap.parse_args(argv)
    from facemimic import video as V
    from facemimic.compare import compare
    from facemimic.media import sample_path
    result = compare(args.reference or sample_path('d0_smile.mp4'), args.imitation or sample_path('single_face_smile.mp4'))
    plan = V.side_by_side_plan(result, 'both')
    n = len(plan)
    cpu = {'two': [], 'one': [], 'jpeg': []} # CPU seconds of this process (OpenCV's decoding threads included)
    def ms(key:str, *modes)->float: # ms per output frame to make the frames of `modes`, one after the other
        t0, c0 = time.perf_counter(), time.process_time()
        for m in modes: sum(1 for _ in V.side_by_side_frames(result, m, args.height))
        cpu[key].append(1000 * (time.process_time() - c0) / n)
        return 1000 * (time.perf_counter() - t0) / n
    base, frames, video, two, jpeg = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            base.append(baseline_ms(result, plan) / n)
            two.append(ms('two', 'raw', 'aligned'))
            frames.append(ms('one', 'both'))
            keep_mb, V._KEEP_MB = V._KEEP_MB, 0
            try: jpeg.append(ms('jpeg', 'both'))
            finally: V._KEEP_MB = keep_mb
            t0 = time.perf_counter(); V.write_side_by_side(result, Path(tmp)/'v.mp4', 'both', args.height); video.append(1000 * (time.perf_counter() - t0) / n)
    b, f, v, w, j = (statistics.median(x) for x in (base, frames, video, two, jpeg))
    print(f"{n} output frames, panels {args.height} px high, median of {args.repeat} runs")
    print(f"baseline (decode both clips)      {b:7.2f} ms/frame")
    print(f"frames (decode, draw, captions)   {f:7.2f} ms/frame   ratio {f / b:5.2f}")
    print(f"mp4 written (frames + libx264)    {v:7.2f} ms/frame   ratio {v / b:5.2f}   ({v * n / 1000:.2f} s for the video)")
    c = {k: statistics.median(x) for k, x in cpu.items()}
    print(f"frames in two passes (as before)  {w:7.2f} ms/frame   one pass / two passes {f / w:5.2f}; kept as JPEG {j / w:5.2f}")
    print(f"  in CPU time                     {c['two']:7.2f} ms/frame   one pass / two passes {c['one'] / c['two']:5.2f}; kept as JPEG {c['jpeg'] / c['two']:5.2f}"
          "   (CPU time: other processes on a busy machine slow the clock, not this)")

if __name__ == '__main__': main()
