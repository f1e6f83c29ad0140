#!/usr/bin/env python3
"""Live camera speed through the widget's message path, and `LiveAnalyzer` alone as the in-process baseline (issue 15).

    python benchmarks/bench_live.py [CLIP] [--seconds 65] [--max-fps 30]

(a) Baseline: in this process, every frame of CLIP letterboxed to 640x480, JPEG-encoded and decoded as the widget's
    kernel side does, pushed through `CameraWidget.analyse_jpeg` (`LiveAnalyzer.push` plus the answer message):
    frames analysed per second.
(b) The widget: JupyterLab on 127.0.0.1, headless Chromium (`/usr/bin/chromium`) whose fake camera plays CLIP as a
    640x480 `.y4m` (looped), a notebook showing `live(autostart=True, max_fps=...)`. The browser itself reports, every
    second over the last 5 s (`CameraWidget.stats`): overlays drawn per second, and the median and 90th percentile
    latency from the frame's capture (`performance.now()` when it is grabbed from the video) to its overlay being
    drawn. Read after 5 s and after `--seconds` of running.

Prints both, and the ratio widget / baseline. Targets (issue 15): at least 15 frames/s, median latency 150 ms or less,
and the latency at the end no worse than after 5 s (no backlog: at most one frame is ever in flight).
The browser, the server, the kernel and the benchmark share the machine's cores, as they would on a laptop.
"""
from __future__ import annotations
import argparse, json, statistics, sys, tempfile, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO/'tests'))
DEFAULT_CLIP = REPO.parent/'shared'/'media'/'d19.mp4'   # 250 frames, 30 fps, 480x480
FALLBACK_CLIP = REPO/'sample_media'/'d19_smiles.mp4'

def baseline(y4m:Path)->float:
    "Frames per second of `CameraWidget.analyse_jpeg` on the letterboxed frames, JPEG quality 0.8 as the browser sends."
    import cv2
    from facemimic.camera import CameraWidget
    cap, jpegs = cv2.VideoCapture(str(y4m)), []
    while True:
        ok, bgr = cap.read()
        if not ok: break
        jpegs.append(cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
    w = CameraWidget(); w.reset()
    w.analyse_jpeg(jpegs[0], 0.0, 0) # warm-up
    t0 = time.perf_counter()
    for k, j in enumerate(jpegs[1:], 1): w.analyse_jpeg(j, 1000 * k / 30, k)
    return (len(jpegs) - 1) / (time.perf_counter() - t0)

def widget(y4m:Path, seconds:float, max_fps:float)->dict:
    "The browser's stats after 5 s and after `seconds` of the live widget."
    from browser_support import CHROMIUM, LAUNCH_ARGS, notebook, run_notebook_in_lab, start_jupyterlab
    from playwright.sync_api import sync_playwright
    folder = Path(tempfile.mkdtemp(prefix='bench-live-'))
    notebook(folder/'live.ipynb', f"from facemimic.camera import live\nw = live(autostart=True, max_fps={max_fps})\nw")
    server, out = start_jupyterlab(folder), {}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS + [
                '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', f'--use-file-for-fake-video-capture={y4m}'])
            page = b.new_page(viewport={'width': 1200, 'height': 1000})
            run_notebook_in_lab(page, server, 'live.ipynb')
            page.wait_for_function("() => +((document.querySelector('.fm-live') || {dataset: {}}).dataset.results || 0) > 0", timeout=120_000)
            start = time.time()
            stats = lambda: json.loads(page.get_attribute('.fm-live', 'data-stats') or '{}')
            for label, at in (('5 s', 5.5), ('end', seconds)):
                time.sleep(max(0, start + at - time.time()))
                out[label] = stats()
            page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")
            b.close()
    finally: server.stop()
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('clip', nargs='?', default=str(DEFAULT_CLIP if DEFAULT_CLIP.exists() else FALLBACK_CLIP))
    ap.add_argument('--seconds', type=float, default=65.0, help='how long the widget runs (default 65)')
    ap.add_argument('--max-fps', type=float, default=30.0, help="the widget's max_fps (default 30)")
    a = ap.parse_args()
    from test_browser_live import fake_camera
    y4m = fake_camera(Path(a.clip), Path(tempfile.mkdtemp(prefix='bench-live-'))/'camera.y4m')
    base = baseline(y4m)
    print(f"baseline: analyse_jpeg in process, 640x480: {base:.1f} frames/s")
    got = widget(y4m, a.seconds, a.max_fps)
    for label, s in got.items():
        print(f"widget after {label}: {s.get('fps', 0):.1f} overlays/s, latency median {s.get('latency_ms') or float('nan'):.0f} ms, "
              f"p90 {s.get('latency_p90_ms') or float('nan'):.0f} ms, {s.get('analysed')} frames sent, {s.get('width')}x{s.get('height')}")
    end, early = got['end'], got['5 s']
    print(f"ratio widget / baseline: {end.get('fps', 0) / base:.2f}")
    print(f"targets: >= 15 frames/s: {'met' if end.get('fps', 0) >= 15 else 'NOT met'}; median latency <= 150 ms: "
          f"{'met' if (end.get('latency_ms') or 1e9) <= 150 else 'NOT met'}; no backlog (end latency <= 1.2 x the 5 s latency): "
          f"{'met' if (end.get('latency_ms') or 1e9) <= 1.2 * (early.get('latency_ms') or 0) else 'NOT met'}")

if __name__ == '__main__': main()
