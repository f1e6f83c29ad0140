#!/usr/bin/env python3
"""Cohort batches (issue 14): extraction against a bare default-options loop, 2 workers against 1, Dask against local
processes, memory per worker as the design grows, and 100 pairs on a warm cache.

    python benchmarks/bench_batch.py [--rounds 2] [--quick]

Every figure is a ratio (or a time) measured in this one run, on this machine:
- **extraction**: frames per second of `extract(path, cache=False)` (what a batch worker runs for each clip) against a bare
  loop with MediaPipe's default options (`num_faces=1`, cv2 decode + `detect_for_video`, blendshapes and matrices on as
  facemimic needs them), alternating, best round of each (target >= 0.95). The same bare loop with `num_faces=2`, the
  option facemimic extracts with, is timed too, to show what the second face costs.
- **2 workers / 1**: pairs per second of `facemimic batch --workers 2` against `--workers 1`, each a fresh process (its
  imports and its workers' start-up timed, as a user waits for them), on a cold design (fresh output folder,
  `--no-cache`: every clip extracted) of at least 12 pairs over at least 8 distinct clips (target >= 1.8).
- **Dask / local**: `batch(client=LocalCluster(2 processes, 1 thread each))` against `--workers 2`, the same cold design
  (target: within 15 %). The cluster's start-up is not timed; its workers are restarted before each run, so their
  imports are, as the local workers' are.
- **memory**: peak RSS of the largest worker process (`getrusage(RUSAGE_CHILDREN)` in a fresh parent) for designs of 12
  and 120 pairs over the same clips, warm tracks (target: flat).
- **warm cache**: 100 pairs whose tracks are all cached, compared in one process (target < 30 s).
Clips: the five sample clips and, when present, the four full clips of `../shared/media` (nine distinct clips).
"""
from __future__ import annotations
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent/'shared'/'media'

def clips()->list:
    found = sorted((REPO/'sample_media').glob('*.mp4')) + sorted(SHARED.glob('*.mp4'))
    return [str(p) for p in found]

def design(paths:list, n:int):
    "`n` pairs: each clip against the next ones in turn (cycling), no clip against itself."
    import pandas as pd
    rows, k = [], 1
    while len(rows) < n:
        for i, r in enumerate(paths):
            if len(rows) == n: break
            rows.append(dict(reference=r, imitation=paths[(i + k) % len(paths)], trial=k))
        k = k % (len(paths) - 1) + 1
    return pd.DataFrame(rows)

def bare_loop(path:str, faces:int)->int:
    "Decode every frame and run MediaPipe's Face Landmarker (default options but `num_faces`) on it; the frame count."
    import cv2, mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision
    from facemimic.topology import PACKAGED_MODEL
    opts = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(PACKAGED_MODEL)), running_mode=vision.RunningMode.VIDEO,
                                        num_faces=faces, output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    lm = vision.FaceLandmarker.create_from_options(opts)
    cap, n = cv2.VideoCapture(path), 0
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    try:
        while True:
            ok, bgr = cap.read()
            if not ok: break
            lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), int(round(n * 1000 / fps)))
            n += 1
    finally: cap.release(); lm.close()
    return n

def ours(path:str)->int:
    from facemimic.extraction import extract
    return extract(path, cache=False, progress=False).n_frames

def extraction(path:str, rounds:int)->dict:
    loops = {'bare, 1 face (default)': lambda p: bare_loop(p, 1), 'bare, 2 faces': lambda p: bare_loop(p, 2), 'facemimic extract': ours}
    for fn in loops.values(): fn(path) # warm-up
    times = {k: [] for k in loops}
    for r in range(rounds):
        for name, fn in (list(loops.items()) if r % 2 == 0 else list(loops.items())[::-1]):
            t0 = time.perf_counter(); n = fn(path); times[name].append(time.perf_counter() - t0)
    return {k: n / min(v) for k, v in times.items()} | {'frames': n}

def run_batch(d, out:Path, **kw)->float:
    "Seconds of one batch run: `facemimic batch` in a fresh process as a user runs it (imports and worker start-up included), or on a Dask client in this one."
    from facemimic.cohort import batch
    import pandas as pd
    t0 = time.perf_counter()
    if 'client' in kw or kw.get('cache', True): scores = batch(d, out, progress=False, **kw)
    else:
        out.mkdir(parents=True); d.to_csv(out.parent/f'{out.name}.csv', index=False)
        cmd = [sys.executable, '-m', 'facemimic.cli', 'batch', str(out.parent/f'{out.name}.csv'), '--out', str(out), '--workers', str(kw['workers']), '--no-cache', '--quiet']
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode: sys.exit(r.stderr[-2000:])
        after = resource.getrusage(resource.RUSAGE_CHILDREN) # CPU seconds of the run's processes (the command and its workers)
        run_batch.cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        scores = pd.read_parquet(out/'scores.parquet')
    secs = time.perf_counter() - t0
    if 'client' in kw or kw.get('cache', True): run_batch.cpu_s = None
    bad = scores[scores.status != 'ok']
    if len(bad): sys.exit(f"{len(bad)} pairs failed: {bad.error.tolist()[:3]}")
    return secs

def _memory_child(n:int, out:str, cache:str):
    "In a fresh process: a warm batch of `n` pairs on 2 workers; print the largest worker's peak RSS (MB)."
    import pandas as pd
    os.environ['FACEMIMIC_CACHE'] = cache
    from facemimic.cohort import batch
    batch(design(clips(), n), out, workers=2, progress=False)
    print(json.dumps(dict(pairs=n, worker_peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                          parent_peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rounds', type=int, default=2, help='rounds of each timed run, alternating')
    p.add_argument('--pairs', type=int, default=18, help='pairs of the cold design (at least 12)')
    p.add_argument('--quick', action='store_true', help='one round, skip the Dask and memory parts')
    p.add_argument('--memory-child', nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child: return _memory_child(int(args.memory_child[0]), *args.memory_child[1:])
    import mediapipe, platform
    from facemimic import __version__
    paths = clips()
    rounds = 1 if args.quick else args.rounds
    print(f"facemimic {__version__}, mediapipe {mediapipe.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} before the run; {len(paths)} distinct clips")
    results = {}
    work = Path(tempfile.mkdtemp(prefix='bench-batch-'))
    os.environ['FACEMIMIC_CACHE'] = str(work/'cache')
    try:
        clip = str(SHARED/'d19.mp4') if (SHARED/'d19.mp4').exists() else str(REPO/'sample_media'/'d19_smiles.mp4')
        print(f"\nextraction of {Path(clip).name}, {max(rounds, 2)} alternating rounds after a warm-up (frames per second, best round)")
        e = extraction(clip, max(rounds, 2))
        for k, v in e.items():
            if k != 'frames': print(f"  {k:24s} {v:6.1f} frames/s")
        results['extraction'] = e

        d = design(paths, args.pairs)
        print(f"\ncold design: {len(d)} pairs over {len(set(d.reference) | set(d.imitation))} clips, {rounds} round(s) each (pairs per second)")
        modes = {'1 worker': dict(workers=1), '2 workers': dict(workers=2)}
        cluster = client = None
        if not args.quick:
            from distributed import Client, LocalCluster
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host='127.0.0.1', dashboard_address='127.0.0.1:0')
            client = Client(cluster)
            modes['Dask LocalCluster'] = dict(client=client)
        speed, cores = {k: [] for k in modes}, {}
        for r in range(rounds):
            for name, kw in (list(modes.items()) if r % 2 == 0 else list(modes.items())[::-1]):
                if client is not None and 'client' in kw: client.restart() # fresh worker processes, as a cold local pool has
                secs = run_batch(d, work/f'cold-{name}-{r}', cache=False, **kw)
                speed[name].append(len(d) / secs)
                if run_batch.cpu_s is not None: cores.setdefault(name, []).append(run_batch.cpu_s / secs)
                used = f", {run_batch.cpu_s / secs:.2f} cores busy" if run_batch.cpu_s is not None else ''
                print(f"  round {r + 1}  {name:18s} {len(d) / secs:5.2f} pairs/s ({secs:.1f} s{used})", flush=True)
        if client is not None: client.close(); cluster.close()
        best = {k: max(v) for k, v in speed.items()}
        results['cold'] = speed

        print("\nwarm cache: 100 pairs, tracks cached, one process")
        run_batch(design(paths, 12), work/'seed', workers=2) # fills the cache
        warm = run_batch(design(paths, 100), work/'warm', workers=1)
        print(f"  {warm:.1f} s ({100 / warm:.1f} pairs/s)")

        mem = []
        if not args.quick:
            print("\nmemory: largest worker's peak RSS, 2 workers, warm tracks")
            for n in (12, 120):
                r = subprocess.run([sys.executable, __file__, '--memory-child', str(n), str(work/f'mem-{n}'), str(work/'cache')], capture_output=True, text=True)
                if r.returncode: sys.exit(r.stderr[-2000:])
                mem.append(json.loads(r.stdout.strip().splitlines()[-1]))
                print(f"  {n:4d} pairs: worker {mem[-1]['worker_peak_rss_mb']:6.0f} MB, parent {mem[-1]['parent_peak_rss_mb']:6.0f} MB", flush=True)
    finally: shutil.rmtree(work, ignore_errors=True)

    print("\n=== summary ===")
    ratio = e['facemimic extract'] / e['bare, 1 face (default)']
    print(f"extraction / bare default loop : {ratio:.3f} ({'meets' if ratio >= 0.95 else 'BELOW'} the 0.95 target); "
          f"/ bare 2-face loop {e['facemimic extract'] / e['bare, 2 faces']:.3f}")
    r2 = best['2 workers'] / best['1 worker']
    print(f"2 workers / 1 worker           : {r2:.2f}x ({'meets' if r2 >= 1.8 else 'BELOW'} the 1.8x target; best round of each)")
    if cores.get('1 worker'):
        one = statistics.median(cores["1 worker"])
        print(f"  one worker keeps {one:.2f} cores busy (MediaPipe's own threads), so {os.cpu_count()} cores allow at most "
              f"{min(2, os.cpu_count()) / one:.2f}x with 2 workers, before start-up and the last clip's tail")
    if 'Dask LocalCluster' in best:
        rd = best['Dask LocalCluster'] / best['2 workers']
        print(f"Dask LocalCluster / 2 workers  : {rd:.2f} ({'within' if rd >= 0.85 else 'NOT within'} 15 %)")
    print(f"warm cache, 100 pairs, 1 core  : {warm:.1f} s ({'meets' if warm < 30 else 'ABOVE'} the 30 s target)")
    if len(mem) == 2:
        print(f"worker peak RSS 12 -> 120 pairs: {mem[0]['worker_peak_rss_mb']:.0f} -> {mem[1]['worker_peak_rss_mb']:.0f} MB "
              f"({mem[1]['worker_peak_rss_mb'] / mem[0]['worker_peak_rss_mb'] - 1:+.0%})")
    print(f"load average now {os.getloadavg()[0]:.2f} (on a busy machine the parallel ratios fall: the workers compete with other processes)")
    return 0

if __name__ == '__main__': sys.exit(main())
