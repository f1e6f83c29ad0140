"""Measure MediaPipe Face Landmarker's tracking noise on still stretches of real clips (issue 11, item 2).

Finds stretches of at least 0.5 s where the face holds still (smoothed expression blendshapes and head pose
barely change), and measures on them, per blendshape and per landmark, how much the tracks jitter:

- frame-to-frame noise: robust SD of first differences / sqrt(2) (SD = 1.4826 x MAD), on the raw values
  (repeated video frames skipped);
- the same after `clean_series` smoothing, from differences at a lag of one smoothing window (the smoothed
  series' first differences are mostly 0, a running median repeats values), and at 0.4 s ('slow': the noise is
  correlated over ~0.3 s, so this is what separates a neutral frame from a later one);
- the spread of the values around their 0.5 s block mean (what a baseline taken from such a block is off by);
- the noise of a mean over n frames (an apex plateau) and of the displacement the scorer would see on a face
  that does not move (smoothed frames minus a 0.4 s raw-median neutral);
- how landmark noise depends on face size (inter-ocular distance in pixels), with re-extractions of the larger
  clips at smaller sizes, and on frame rate, with re-extractions at every second frame.

Writes a small JSON (`--out`) and prints a summary. Media: `../shared/media` and `../shared/media/dev` next to
the checkout (see their SOURCES.md), or `--media DIR`. Tracks are cached by `facemimic.extract`.
Method and figures: benchmarks/NOISE.md.
Usage: python benchmarks/noise_floor.py [--out facemimic/data/noise_floor.json] [--media DIR] [--sheet PNG] [--quick]
"""
from __future__ import annotations
import argparse, datetime, json, math, sys, warnings
from pathlib import Path
import numpy as np
from facemimic.features import SMOOTH_S, clean_series, expression_blendshapes, pose_free_landmarks, sampling_rate
from facemimic.landmarks import BLENDSHAPE_NAMES, apply_similarity, canonical_face, extract, similarity_fit
from facemimic.regions import EXPRESSION_CHANNELS, regions
from facemimic.segment import MIN_PEAK
from facemimic.similarity import STABLE_LANDMARKS
DYNAMIC_NOISE, STRUCTURE_NOISE_CM = 0.02, 0.05 # the guessed ε the package used before these measurements, for comparison

# clip -> person (by eye: one frame of every clip side by side), sex
CLIPS = {
    'single_face.mp4': ('sf_m', 'm'), 'd0.mp4': ('d0_m', 'm'), 'd18.mp4': ('d18_m', 'm'), 'd19.mp4': ('d19_m', 'm'),
    'dev/xportrait_driving.mp4': ('xp_m', 'm'), 'dev/sadtalker_katiehill.mp4': ('kh_f', 'f'),
    'dev/followyouremoji_temple.mp4': ('fye_m', 'm'), 'dev/hellomeme_tiktok.mp4': ('tt_f', 'f'),
    'dev/hellomeme_xzy1.mp4': ('xzy_m', 'm'), 'dev/hellomeme_xzy2.mp4': ('xzy_m', 'm'), 'dev/hellomeme_xzy3.mp4': ('xzy_m', 'm'),
    'dev/hellomeme_nice.mp4': ('nice_m', 'm'), 'dev/sadtalker_aoc.mp4': ('aoc_f', 'f'), 'dev/edtalk_pose_source1.mp4': ('aoc_f', 'f'),
    'dev/tpsmm_driving.mp4': ('jc_m', 'm'), 'dev/edtalk_expression_source.mp4': ('ed_f', 'f'),
    'dev/edtalk_mouth_source.mp4': ('edm_f', 'f'), 'dev/edtalk_pose_source2.mp4': ('edp_m', 'm'),
    'dev/fom_00.mp4': ('fom00_m', 'm'), 'dev/fom_04.mp4': ('fom04_m', 'm'), 'dev/fom_08.mp4': ('fom08_m', 'm'),
    'dev/fom_10.mp4': ('fom10_m', 'm'), 'dev/dpe_d.mp4': ('dped_m', 'm'), 'dev/dpe_s.mp4': ('dpes_m', 'm'),
}

# What counts as still: every 0.5 s window of a stretch, on `clean_series`-smoothed values, has
# (1) no expression blendshape moving more than `channel_range` (max - min), (2) a change of the expression
# blendshapes between the window's halves (Euclidean norm of the difference of their medians) of at most `drift`,
# (3) yaw, pitch and roll each within `pose_range` degrees, (4) no gaze blendshape (eyeLook...) moving more than
# `gaze_range` (a gaze shift moves the eyelids), and a face in every frame. The strict tier gives the
# floors; the relaxed one (more clips, some speakers' pauses) shows how much the figures depend on the choice.
STILL_S = 0.5 # shortest stretch, seconds
TIERS = {'strict': dict(channel_range=0.15, drift=0.08, pose_range=2.0, gaze_range=0.4),
         'relaxed': dict(channel_range=0.20, drift=0.12, pose_range=3.0, gaze_range=0.5)}
GAZE = np.array([i for i, n in enumerate(BLENDSHAPE_NAMES) if n.startswith('eyeLook')])
NEUTRAL_S = 0.4 # `estimate_neutral`'s window
SLOW_S = 0.4 # lag at which the smoothed noise has (nearly) stopped growing: the noise between a neutral and a later frame
PLATEAU_N = (1, 2, 3, 4, 6, 8, 12) # frames averaged
PLATEAU_SEP_S = 0.4 # the two n-frame means compared start this far apart (fixed, so that only n changes)
TAUS = (0.1, 0.2, 0.3, 0.4, 0.6, 0.8) # seconds between the two values of a difference
REPEAT_GREY = 0.2 # a frame whose grey face box differs from the previous frame's by less than this on average repeats it
MAX_REPEATED = 0.5 # a clip with more repeated frames than this (frozen video) is left out; elsewhere raw differences skip repeats
RESCALE = (256, 128) # max_side of the re-extractions for the face-size relation
IOD = (33, 263) # outer eye corners
EXPR = np.array([i for i, n in enumerate(BLENDSHAPE_NAMES) if n in EXPRESSION_CHANNELS])
REGION_LM = np.array(sorted({i for r in regions() for i in r.landmarks}))
MAIN = ['mouthSmileLeft', 'mouthSmileRight', 'browDownLeft', 'browDownRight', 'browInnerUp', 'mouthPucker', 'jawOpen',
        'eyeBlinkLeft', 'eyeBlinkRight', 'cheekSquintLeft', 'cheekSquintRight']

def rsd(x, axis=0):
    "Robust SD: 1.4826 x median absolute deviation from the median."
    x = np.asarray(x, float)
    return 1.4826 * np.median(np.abs(x - np.median(x, axis, keepdims=True)), axis)

def rms(x):
    "Root mean square, ignoring NaN (None when nothing is left)."
    x = np.asarray(x, float)
    return float(np.sqrt(np.nanmean(x ** 2))) if np.isfinite(x).any() else None

SQ2 = math.sqrt(2)
REST_FLOOR = 0.05 # lowest resting ceiling of a blendshape (features.rest_ceiling)
def norm3(s): return np.sqrt((np.asarray(s) ** 2).sum(-1)) # (..., 3) per-axis noise -> 3-D noise

def window_frames(fps): # the running-median window `clean_series` uses, frames (odd)
    n = int(round(SMOOTH_S * fps)); return n + (n % 2 == 0) if n >= 2 else 1

# ---------------------------------------------------------------- finding still stretches
def still_stretches(track, channel_range, drift, pose_range, gaze_range):
    "(first, last) row pairs (inclusive) of stretches of at least `STILL_S` where every `STILL_S` window is still."
    fps = sampling_rate(track)
    s = clean_series(expression_blendshapes(track), fps); pose = clean_series(track.pose, fps)
    gaze = clean_series(track.blendshapes[:, GAZE], fps)
    w = int(math.ceil(STILL_S * fps)); h = w // 2
    cover = np.zeros(len(s), bool)
    for a in range(len(s) - w + 1):
        x, q = s[a:a + w], pose[a:a + w]
        if not track.face_mask[a:a + w].all() or np.ptp(x, 0).max() > channel_range or np.ptp(q, 0).max() > pose_range: continue
        if np.linalg.norm(np.median(x[:h], 0) - np.median(x[-h:], 0)) > drift or np.ptp(gaze[a:a + w], 0).max() > gaze_range: continue
        cover[a:a + w] = True
    edges = np.flatnonzero(np.diff(np.r_[0, cover.astype(int), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]

def repeated_frames(path, track):
    "(T,) True where the frame repeats the one before it (its grey face box differs by less than `REPEAT_GREY` on average)."
    import cv2
    from facemimic.media import Clip
    rep, prev = np.zeros(track.n_frames, bool), None
    row = {int(f): i for i, f in enumerate(track.frame_index)}
    for fr in Clip(path):
        i = row.get(fr.index)
        if i is None: continue
        grey = cv2.cvtColor(fr.image, cv2.COLOR_RGB2GRAY).astype(np.int16)
        if prev is not None and i > 0 and np.isfinite(track.bbox[i]).all():
            H, W = grey.shape; x0, y0, x1, y1 = track.bbox[i]
            box = (slice(max(0, int(y0 * H)), max(1, int(y1 * H))), slice(max(0, int(x0 * W)), max(1, int(x1 * W))))
            rep[i] = np.abs(grey[box] - prev[box]).mean() < REPEAT_GREY
        prev = grey
    return rep

# ---------------------------------------------------------------- differences inside stretches
def lag_diffs(x, runs, lag):
    "Differences x[t + lag] - x[t] with both rows inside one run, stacked."
    out = [x[a + lag:b + 1] - x[a:b + 1 - lag] for a, b in runs if b - a + 1 > lag]
    return np.concatenate(out) if out else np.empty((0,) + x.shape[1:])

def unique_diffs(x, runs, rep):
    "Differences between consecutive frames that are not repeats (a repeated frame is skipped, not differenced)."
    out = []
    for a, b in runs:
        keep = [i for i in range(a, b + 1) if i == a or not rep[i]]
        if len(keep) > 1: out.append(np.diff(x[keep], axis=0))
    return np.concatenate(out) if out else np.empty((0,) + x.shape[1:])

def per_value(d, min_n=8):
    "Noise of one value from differences of two: robust SD / sqrt(2) (NaN with fewer than `min_n` differences)."
    return rsd(d) / math.sqrt(2) if len(d) >= min_n else np.full(d.shape[1:], np.nan)

def block_devs(x, runs, w):
    "Deviations of values from the mean of their block of `w` frames (non-overlapping blocks inside runs), bias-corrected."
    out = [x[a + k * w:a + (k + 1) * w] - x[a + k * w:a + (k + 1) * w].mean(0) for a, b in runs for k in range((b - a + 1) // w)]
    return np.concatenate(out) * math.sqrt(w / (w - 1)) if out else np.empty((0,) + x.shape[1:])

def mean_pair_diffs(x, runs, n, sep):
    "mean(x[t:t+n]) - mean(x[t+sep:t+sep+n]) for every placement inside a run (n <= sep)."
    out = []
    for a, b in runs:
        c = np.cumsum(np.concatenate([np.zeros((1,) + x.shape[1:]), x[a:b + 1]]), 0)
        m = (c[n:] - c[:-n]) / n # means of n frames starting at each row
        if len(m) > sep: out.append(m[:len(m) - sep] - m[sep:])
    return np.concatenate(out) if out else np.empty((0,) + x.shape[1:])

def null_displacement(raw, smooth, runs, m, gap):
    "A smoothed frame minus the raw median of m frames at least `gap` rows before or after it, inside one run: what the scorer measures on a still face."
    out = []
    for a, b in runs:
        for t in range(a, b + 2 - m):
            base = np.median(raw[t:t + m], 0)
            out += [smooth[u] - base for u in list(range(t + m + gap, b + 1)) + list(range(a, t - gap))]
    return np.array(out) if out else None

def stable_aligned(disp):
    "Displacements (K, 468, 3) after `structure_scores`' similarity fit on `STABLE_LANDMARKS` (here onto the canonical face)."
    T = canonical_face().vertices.astype(np.float64)
    B = T + disp
    s, R, t = similarity_fit(B[:, STABLE_LANDMARKS], np.broadcast_to(T[STABLE_LANDMARKS], B[:, STABLE_LANDMARKS].shape))
    return apply_similarity(B, s, R, t) - T

# ---------------------------------------------------------------- one clip
def measure(track, runs, rep=None, light=False):
    "Noise figures of one clip on its still stretches (row pairs `runs`); `rep` marks repeated frames."
    fps = sampling_rate(track); L = window_frames(fps); wb = int(math.ceil(STILL_S * fps)); m = int(round(NEUTRAL_S * fps))
    rep = np.zeros(track.n_frames, bool) if rep is None else rep
    bs = track.blendshapes.astype(np.float64); bss = clean_series(bs, fps)
    lm = pose_free_landmarks(track).astype(np.float64); lms = clean_series(lm, fps)
    px = track.landmarks_px()
    rows = np.concatenate([np.arange(a, b + 1) for a, b in runs])
    r = dict(fps=fps, smooth_frames=L, n_frames=len(rows), seconds=len(rows) / fps, repeated=float(rep[rows].mean()),
             iod_px=float(np.median(np.linalg.norm(px[rows, IOD[0], :2] - px[rows, IOD[1], :2], axis=1))), level=bs[rows].mean(0))
    r['bs_raw'] = per_value(unique_diffs(bs, runs, rep)); r['bs_smooth'] = per_value(lag_diffs(bss, runs, L))
    r['lm_raw'] = per_value(unique_diffs(lm, runs, rep)); r['lm_smooth'] = per_value(lag_diffs(lms, runs, L)) # (478, 3) per axis
    r['bs_raw_all'] = per_value(lag_diffs(bs, runs, 1)) # repeated frames included
    if light: return r
    k = max(1, int(round(SLOW_S * fps))); d = lag_diffs(bss, runs, k)
    r['bs_slow'] = per_value(d); r['lm_slow'] = per_value(lag_diffs(lms, runs, k)) # smoothed values SLOW_S apart
    r['activation_slow_p95'] = float(np.percentile(np.linalg.norm(d[:, EXPR], axis=1), 95)) if len(d) >= 8 else None
    r['bs_sd_raw'] = rsd(block_devs(bs, runs, wb)); r['bs_sd_smooth'] = rsd(block_devs(bss, runs, wb))
    r['lm_sd_smooth'] = rsd(block_devs(lms, runs, wb))
    r['lag'] = {} # noise of one value from values tau seconds apart (RMS over expression channels / region coordinates)
    for tau in TAUS:
        k = max(1, int(round(tau * fps)))
        r['lag'][tau] = {key: rms(per_value(lag_diffs(x, runs, k))[idx]) for key, x, idx in
                         (('bs_raw', bs, EXPR), ('bs_smooth', bss, EXPR), ('lm_raw', lm, REGION_LM), ('lm_smooth', lms, REGION_LM))}
    sep = int(round(PLATEAU_SEP_S * fps)); r['plateau'] = {}
    for n in PLATEAU_N: # noise of an n-frame mean, from pairs of means whose starts are a fixed `sep` rows apart
        if n > sep: continue
        r['plateau'][n] = {key: rms(per_value(mean_pair_diffs(x[:, idx], runs, n, sep))) for key, x, idx in
                           (('bs_raw', bs, EXPR), ('bs_smooth', bss, EXPR), ('lm_raw', lm, REGION_LM), ('lm_smooth', lms, REGION_LM))}
    nd_b = null_displacement(bs[:, EXPR], bss[:, EXPR], runs, m, L)
    nd_l = null_displacement(lm[:, :468], lms[:, :468], runs, m, L)
    r['null_n'] = 0 if nd_b is None else len(nd_b)
    ok = r['null_n'] >= 8
    r['null_bs'] = rsd(nd_b) if ok else None # per channel: SD of (smoothed frame - neutral), not divided by sqrt(2)
    r['null_lm'] = rms(rsd(nd_l[:, REGION_LM])) if ok else None # per coordinate, RMS over region landmarks
    r['null_lm_aligned'] = rms(rsd(stable_aligned(nd_l)[:, REGION_LM])) if ok else None
    r['null_activation_p95'] = float(np.percentile(np.linalg.norm(nd_b, axis=1), 95)) if ok else None
    return r

def rescaled(path, runs, rep, track):
    "The same stretches measured on re-extractions at smaller sizes (`RESCALE`)."
    out = []
    for side in (None,) + RESCALE:
        if side and max(track.width, track.height) <= side: continue
        t = track if side is None else extract(path, max_side=side, progress=False)
        ok = [(a, b) for a, b in runs if t.face_mask[a:b + 1].all()]
        if not ok: continue
        r = measure(t, ok, rep, light=True)
        out.append(dict(max_side=side, iod_px=r['iod_px'], bs_raw=rms(r['bs_raw'][EXPR]), bs_smooth=rms(r['bs_smooth'][EXPR]),
                        lm_raw=rms(r['lm_raw'][REGION_LM]), lm_smooth=rms(r['lm_smooth'][REGION_LM])))
    return out

def half_rate(path, runs, track):
    "The same stretches on a re-extraction of every second frame (repeated frames included in both)."
    t = extract(path, every=2, progress=False)
    runs2 = []
    for a, b in runs:
        rows = np.flatnonzero((t.frame_index >= track.frame_index[a]) & (t.frame_index <= track.frame_index[b]))
        if len(rows) >= 4 and t.face_mask[rows].all(): runs2.append((int(rows[0]), int(rows[-1])))
    if not runs2: return None
    full, half = measure(track, runs, None, light=True), measure(t, runs2, None, light=True)
    out = dict(fps=full['fps'], half_fps=half['fps'])
    for k, idx in (('bs_raw_all', EXPR), ('bs_smooth', EXPR), ('lm_smooth', REGION_LM)):
        out[f'{k}_full'], out[f'{k}_half'] = rms(full[k][idx]), rms(half[k][idx])
    return out

# ---------------------------------------------------------------- across clips
def across(values, q=None):
    "Median (or the q-th percentile) across clips, ignoring NaN and None; element-wise on arrays."
    v = [np.asarray(x, float) for x in values if x is not None]
    if not v: return None
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        out = np.nanmedian(np.stack(v), 0) if q is None else np.nanpercentile(np.stack(v), q, 0)
    return float(out) if np.ndim(out) == 0 else out

def summarise(per_clip):
    "Floors across clips: per blendshape, per landmark, per region, by time lag, plateau means, null displacement."
    C = [c for c in per_clip.values() if rms(c['bs_smooth'][EXPR]) is not None] # clips with enough frames to measure
    expr_pos = {n: k for k, n in enumerate(EXPRESSION_CHANNELS)}
    bs = {}
    for j, n in enumerate(BLENDSHAPE_NAMES):
        slow = [c['bs_slow'][j] for c in C]
        e = dict(raw=across([c['bs_raw'][j] for c in C]), smoothed=across([c['bs_smooth'][j] for c in C]),
                 smoothed_p90=across([c['bs_smooth'][j] for c in C], 90), slow=across(slow), slow_p90=across(slow, 90),
                 epsilon=SQ2 * across(slow, 90), sd_about_mean=across([c['bs_sd_smooth'][j] for c in C]), level=across([c['level'][j] for c in C]))
        if n in expr_pos:
            k = expr_pos[n]; nb = [c['null_bs'][k] for c in C if c['null_bs'] is not None]
            e.update(null=across(nb), null_p90=across(nb, 90))
        bs[n] = e
    reg = {}
    groups = [(rg.name, np.array(rg.landmarks)) for rg in regions()] + [('all_regions', REGION_LM), ('stable', np.array(STABLE_LANDMARKS))]
    for name, idx in groups: # per coordinate, RMS over the group's landmarks
        v = lambda key: [rms(c[key][idx]) for c in C]
        reg[name] = dict(raw=across(v('lm_raw')), smoothed=across(v('lm_smooth')), smoothed_p90=across(v('lm_smooth'), 90),
                         slow=across(v('lm_slow')), slow_p90=across(v('lm_slow'), 90), epsilon=SQ2 * across(v('lm_slow'), 90),
                         sd_about_mean=across(v('lm_sd_smooth')))
    axes = {ax: across([rms(c['lm_smooth'][REGION_LM, i]) for c in C]) for i, ax in enumerate('xyz')}
    lag = {tau: {k: across([c['lag'][tau][k] for c in C]) for k in ('bs_raw', 'bs_smooth', 'lm_raw', 'lm_smooth')} | {'clips': sum(c['lag'][tau]['bs_smooth'] is not None for c in C)} for tau in TAUS}
    lag_p90 = {tau: {k: across([c['lag'][tau][k] for c in C], 90) for k in ('bs_smooth', 'lm_smooth')} for tau in TAUS}
    plateau = {}
    for n in PLATEAU_N:
        have = [c for c in C if n in c['plateau'] and c['plateau'][n]['bs_smooth'] is not None]
        if not have: continue
        row = {k: across([c['plateau'][n][k] for c in have]) for k in ('bs_raw', 'bs_smooth', 'lm_raw', 'lm_smooth')}
        for k in ('bs_raw', 'bs_smooth', 'lm_raw', 'lm_smooth'): # against the same clips' single frame
            row[f'{k}_ratio'] = across([c['plateau'][n][k] / c['plateau'][1][k] for c in have])
        row['clips'] = len(have); plateau[n] = row
    W = [c for c in C if c['null_bs'] is not None]
    nb, nl, nla, na = [rms(c['null_bs']) for c in W], [c['null_lm'] for c in W], [c['null_lm_aligned'] for c in W], [c['null_activation_p95'] for c in W]
    null = dict(clips=len(W), blendshape=across(nb), blendshape_p90=across(nb, 90), blendshape_max=max(nb, default=None),
                landmark_cm=across(nl), landmark_cm_p90=across(nl, 90), landmark_cm_max=max(nl, default=None),
                landmark_aligned_cm=across(nla), landmark_aligned_cm_p90=across(nla, 90),
                activation_p95=across(na), activation_p95_max=max(na, default=None))
    val = lambda key, idx: [rms(c[key][idx]) for c in C]
    overall = dict(blendshape_raw=across(val('bs_raw', EXPR)), blendshape_smoothed=across(val('bs_smooth', EXPR)),
                   blendshape_smoothed_p90=across(val('bs_smooth', EXPR), 90), blendshape_sd_about_mean=across(val('bs_sd_smooth', EXPR)),
                   landmark_raw_cm=across(val('lm_raw', REGION_LM)), landmark_smoothed_cm=across(val('lm_smooth', REGION_LM)),
                   landmark_smoothed_cm_p90=across(val('lm_smooth', REGION_LM), 90), landmark_sd_about_mean_cm=across(val('lm_sd_smooth', REGION_LM)),
                   blendshape_slow=across(val('bs_slow', EXPR)), blendshape_slow_p90=across(val('bs_slow', EXPR), 90),
                   landmark_slow_cm=across(val('lm_slow', REGION_LM)), landmark_slow_cm_p90=across(val('lm_slow', REGION_LM), 90),
                   activation_slow_p95=across([c['activation_slow_p95'] for c in C]), activation_slow_p95_max=max([c['activation_slow_p95'] for c in C if c['activation_slow_p95']], default=None),
                   slow_clips=sum(rms(c['bs_slow'][EXPR]) is not None for c in C),
                   landmark3d_raw_cm=across([rms(norm3(c['lm_raw'])[REGION_LM]) for c in C]),
                   landmark3d_smoothed_cm=across([rms(norm3(c['lm_smooth'])[REGION_LM]) for c in C]), landmark_smoothed_axes_cm=axes)
    return dict(clips=len(C), people=len({c['person'] for c in C}), seconds=sum(c['seconds'] for c in C),
                blendshapes=bs, landmark_raw_3d=across([norm3(c['lm_raw']) for c in C]), landmark_smoothed_3d=across([norm3(c['lm_smooth']) for c in C]),
                regions=reg, lag=lag, lag_p90=lag_p90, plateau=plateau, null=null, overall=overall)

def fit_power(x, y):
    "y = a x^b, least squares in logs: (a, b)."
    b, la = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(la)), float(b)

def level_table(per_clip):
    "Smoothed noise of an expression blendshape against its mean level in the stretches, over (clip, channel) pairs."
    lv = np.concatenate([c['level'][EXPR] for c in per_clip.values()]); ns = np.concatenate([c['bs_smooth'][EXPR] for c in per_clip.values()])
    ok = np.isfinite(ns); lv, ns = lv[ok], ns[ok]
    rows = []
    for lo, hi in ((0, 0.02), (0.02, 0.1), (0.1, 0.3), (0.3, 0.6), (0.6, 1.0)):
        k = (lv >= lo) & (lv < hi) if hi < 1 else (lv >= lo)
        rows.append(dict(level=[lo, hi], pairs=int(k.sum()), smoothed=float(np.median(ns[k])) if k.any() else None,
                         smoothed_p90=float(np.percentile(ns[k], 90)) if k.any() else None))
    k = (lv >= 0.02) & (lv <= 0.9) & (ns > 0)
    a, b = fit_power(lv[k], ns[k])
    return dict(bins=rows, fit=dict(a=a, b=b, formula='smoothed noise ~ a * level^b, for levels 0.02-0.9'))

def size_relation(size_rows):
    "Exponent b of noise ~ iod_px^b within each clip (same stretches re-extracted smaller), and across clips at native size."
    out = {}
    for k in ('lm_smooth', 'lm_raw', 'bs_smooth', 'bs_raw'):
        within = []
        for rows in size_rows.values():
            ok = [r for r in rows if r[k] and r['iod_px'] >= 25]
            if len(ok) >= 2: within.append(fit_power([r['iod_px'] for r in ok], [r[k] for r in ok])[1])
        native = [r[0] for r in size_rows.values() if r and r[0]['max_side'] is None and r[0][k]]
        out[k] = dict(exponent_within_clips=across(within), exponent_within_clips_range=[min(within), max(within)] if within else None,
                      exponent_across_clips=fit_power([r['iod_px'] for r in native], [r[k] for r in native])[1] if len(native) > 2 else None)
    return out

def contact_sheet(items, path, per_row=9, size=120):
    "PNG of the first, middle and last frame of each still stretch, labelled, to check them by eye."
    import cv2
    from facemimic.media import read_frames
    tiles = []
    for clip, track, (a, b) in items:
        rows = [a, (a + b) // 2, b]
        frames = read_frames(clip, [int(track.frame_index[i]) for i in rows])
        for i in rows:
            f = int(track.frame_index[i]); img = frames.get(f)
            if img is None: continue
            x0, y0, x1, y1 = track.bbox[i]; H, W = img.shape[:2]
            cx, cy, s = (x0 + x1) / 2 * W, (y0 + y1) / 2 * H, max((x1 - x0) * W, (y1 - y0) * H) * 0.75
            t = cv2.resize(img[max(0, int(cy - s)):int(cy + s), max(0, int(cx - s)):int(cx + s)], (size, size))
            cv2.putText(t, f'{Path(clip).stem[:12]} {f}', (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (255, 255, 0), 1)
            tiles.append(t)
    while len(tiles) % per_row: tiles.append(np.zeros((size, size, 3), np.uint8))
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack([np.hstack(tiles[i:i + per_row]) for i in range(0, len(tiles), per_row)]), cv2.COLOR_RGB2BGR))

# ---------------------------------------------------------------- output
def sig(x, d=4):
    "Round to d significant digits, recursively (NaN -> None; dict keys become strings)."
    if isinstance(x, dict): return {str(k): sig(v, d) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)): return [sig(v, d) for v in x]
    if x is None or isinstance(x, (bool, str)): return x
    if isinstance(x, (int, np.integer)): return int(x)
    x = float(x)
    return None if not math.isfinite(x) else (0.0 if x == 0 else float(f'{x:.{d}g}'))

def f4(x, w=7): return f"{'-':>{w}s}" if x is None else f"{x:{w}.4f}"

def recommend(S):
    "The single numbers for the scorer, from the strict tier."
    s = S['strict']; o, nl = s['overall'], s['null']
    return dict(
        blendshape_epsilon=SQ2 * o['blendshape_slow_p90'],
        blendshape_epsilon_basis=(f"sqrt(2) x the 90th percentile across clips of the noise of one smoothed value (clean_series) from pairs {SLOW_S} s apart, "
                                  "RMS over the 48 expression channels: the SD of a smoothed frame minus a neutral state of the same still face"),
        blendshape_epsilon_per_channel="blendshapes[name]['epsilon'] (same basis per channel; channels at rest sit far below mid-level ones)",
        landmark_epsilon_cm=SQ2 * o['landmark_slow_cm_p90'],
        landmark_epsilon_basis="the same for pose-free landmarks (cm), per coordinate, RMS over the region landmarks; per region: regions[name]['epsilon']",
        still_face_activation_p95=o['activation_slow_p95'], still_face_activation_p95_max=o['activation_slow_p95_max'],
        still_face_activation_basis=f"95th percentile of the unweighted activation (Euclidean norm over the 48 expression channels) between smoothed frames {SLOW_S} s apart on a still face; median and max across clips; compare MIN_PEAK",
        upper_bound=dict(blendshape=nl['blendshape_p90'], landmark_cm=nl['landmark_cm_p90'], landmark_after_stable_fit_cm=nl['landmark_aligned_cm_p90'],
                         activation_p95_max=nl['activation_p95_max'],
                         basis="null displacement (smoothed frame minus 0.4 s raw-median neutral, 0.2-1.2 s apart), p90 across clips: includes slow real movement the stillness test lets through (gaze, a held smile deepening, jaw drift)"),
        size_scaling="none: in canonical cm, landmark and blendshape noise does not change with face size for inter-ocular distances of 30-170 px (see size); one clip at 19 px was 45 % noisier",
        fps_scaling="raw frame-to-frame noise grows with the frame interval (noise correlated over ~0.3 s); the smoothed and slow figures change little between 12 and 35 fps: use them",
        today=dict(DYNAMIC_NOISE=DYNAMIC_NOISE, STRUCTURE_NOISE_CM=STRUCTURE_NOISE_CM, MIN_PEAK=MIN_PEAK))

def report(S, tiers, size_rows, fps_rows, versions, model, args):
    s, P = S['strict'], tiers['strict']
    for t in S:
        women = sorted({c['person'] for c in tiers[t].values() if c['sex'] == 'f' and rms(c['bs_smooth'][EXPR]) is not None})
        print(("\n" if t == 'strict' else '') + f"{t}: {S[t]['clips']} clips measured, {S[t]['people']} people ({len(women)} women), {S[t]['seconds']:.1f} s still")
    print(f"\nper blendshape (strict; median across clips; slow = smoothed values {SLOW_S} s apart; epsilon = sqrt(2) x p90 of slow; null = smoothed frame minus 0.4 s neutral)")
    print(f"{'channel':18s} {'raw':>7s} {'smooth':>7s} {'sm p90':>7s} {'slow':>7s} {'epsilon':>7s} {'sd/mean':>7s} {'null':>7s} {'level':>7s}")
    for n in MAIN + ['eyeSquintLeft', 'eyeSquintRight', 'browOuterUpLeft', 'mouthFrownLeft', 'mouthPressLeft']:
        b = s['blendshapes'][n]
        print(f"{n:18s} {f4(b['raw'])} {f4(b['smoothed'])} {f4(b['smoothed_p90'])} {f4(b['slow'])} {f4(b['epsilon'])} {f4(b['sd_about_mean'])} {f4(b.get('null'))} {f4(b['level'])}")
    print("\nper region, landmarks (strict; cm per coordinate, RMS over the region's landmarks; median across clips)")
    print(f"{'region':20s} {'raw':>7s} {'smooth':>7s} {'sm p90':>7s} {'slow':>7s} {'epsilon':>7s} {'sd/mean':>7s}")
    for name, v in s['regions'].items(): print(f"{name:20s} {f4(v['raw'])} {f4(v['smoothed'])} {f4(v['smoothed_p90'])} {f4(v['slow'])} {f4(v['epsilon'])} {f4(v['sd_about_mean'])}")
    for tier in S:
        o, nl = S[tier]['overall'], S[tier]['null']
        print(f"\noverall ({tier}): blendshape raw {f4(o['blendshape_raw'])} smoothed {f4(o['blendshape_smoothed'])} (p90 {f4(o['blendshape_smoothed_p90'])}); "
              f"landmark cm raw {f4(o['landmark_raw_cm'])} smoothed {f4(o['landmark_smoothed_cm'])} (p90 {f4(o['landmark_smoothed_cm_p90'])}), 3-D {f4(o['landmark3d_raw_cm'])}/{f4(o['landmark3d_smoothed_cm'])}")
        print(f"  slow ({o['slow_clips']} clips): blendshape {f4(o['blendshape_slow'])} (p90 {f4(o['blendshape_slow_p90'])}), landmark cm {f4(o['landmark_slow_cm'])} (p90 {f4(o['landmark_slow_cm_p90'])}); "
              f"still-face activation p95 {f4(o['activation_slow_p95'])} (max {f4(o['activation_slow_p95_max'])})")
        print(f"  null displacement ({nl['clips']} clips): blendshape {f4(nl['blendshape'])} p90 {f4(nl['blendshape_p90'])} max {f4(nl['blendshape_max'])}; "
              f"landmark cm {f4(nl['landmark_cm'])} p90 {f4(nl['landmark_cm_p90'])}, after the stable-landmark fit {f4(nl['landmark_aligned_cm'])} p90 {f4(nl['landmark_aligned_cm_p90'])}; "
              f"activation p95 {f4(nl['activation_p95'])} (max {f4(nl['activation_p95_max'])})")
    print("\nnoise of one value from two values tau apart (strict; RMS over channels / coordinates; median across clips)")
    print(f"{'tau s':>6s} {'clips':>5s} {'bs raw':>7s} {'bs sm':>7s} {'lm raw':>7s} {'lm sm':>7s}")
    for tau, v in s['lag'].items(): print(f"{tau:6.1f} {v['clips']:5d} {f4(v['bs_raw'])} {f4(v['bs_smooth'])} {f4(v['lm_raw'])} {f4(v['lm_smooth'])}")
    print(f"\nnoise of an n-frame mean (two means {PLATEAU_SEP_S} s apart), and its ratio to one frame (same clips)")
    print(f"{'tier':8s} {'n':>3s} {'clips':>5s} {'bs raw':>7s} {'ratio':>6s} {'bs sm':>7s} {'ratio':>6s} {'lm raw':>7s} {'ratio':>6s} {'lm sm':>7s} {'ratio':>6s}")
    for tier in S:
        for n, v in S[tier]['plateau'].items():
            print(f"{tier:8s} {n:3d} {v['clips']:5d} " + ' '.join(f"{f4(v[k])} {f4(v[k + '_ratio'], 6)}" for k in ('bs_raw', 'bs_smooth', 'lm_raw', 'lm_smooth')))
    lt = level_table(P)
    print("\nsmoothed blendshape noise by level: " + '; '.join(f"{r['level'][0]}-{r['level'][1]}: {f4(r['smoothed'], 6).strip()} ({r['pairs']})" for r in lt['bins'])
          + f"; fit {lt['fit']['a']:.4f} * level^{lt['fit']['b']:.2f}")
    sz = size_relation(size_rows) if size_rows else None
    if sz:
        print("\nface size: same stretches re-extracted at max_side " + ', '.join(map(str, RESCALE)))
        size_rows = {k: [r for r in v if r['lm_smooth']] for k, v in size_rows.items()}
        size_rows = {k: v for k, v in size_rows.items() if v}
        for clip, rows in size_rows.items(): print(f"  {clip:32s} " + '  '.join(f"iod {r['iod_px']:4.0f} px: lm {f4(r['lm_smooth'], 6)} bs {f4(r['bs_smooth'], 6)}" for r in rows))
        print('  exponent b of noise ~ iod^b: ' + '; '.join(f"{k} {v['exponent_within_clips']:+.2f} within clips, {v['exponent_across_clips']:+.2f} across" for k, v in sz.items()))
    fr = {k: v for k, v in fps_rows.items() if v}
    fps_summary = None
    if fr:
        ratio = lambda k: across([v[f'{k}_half'] / v[f'{k}_full'] for v in fr.values() if v[f'{k}_half'] and v[f'{k}_full']])
        fps_summary = {f'half_over_full_{k}': ratio(k) for k in ('bs_raw_all', 'bs_smooth', 'lm_smooth')}
        fps_summary['raw_exponent_of_frame_interval'] = math.log2(fps_summary['half_over_full_bs_raw_all'])
        print(f"\nframe rate: every second frame of {len(fr)} clips; half-rate / full-rate noise: raw frame-to-frame {ratio('bs_raw_all'):.2f} "
              f"(~ frame interval^{fps_summary['raw_exponent_of_frame_interval']:.2f}), smoothed blendshape {ratio('bs_smooth'):.2f}, smoothed landmark {ratio('lm_smooth'):.2f}")
    rec = recommend(S)
    if sz: rec['size_exponent_within_clips'] = {k: v['exponent_within_clips'] for k, v in sz.items()}
    if fps_summary: rec['fps'] = fps_summary
    print(f"\nrecommended: blendshape-change epsilon {rec['blendshape_epsilon']:.4f} (today DYNAMIC_NOISE {DYNAMIC_NOISE}); landmark-displacement "
          f"epsilon {rec['landmark_epsilon_cm']:.4f} cm (today STRUCTURE_NOISE_CM {STRUCTURE_NOISE_CM}); still-face activation p95 "
          f"{rec['still_face_activation_p95']:.3f} (max {rec['still_face_activation_p95_max']:.3f}) against MIN_PEAK {MIN_PEAK}")
    u = rec['upper_bound']
    print(f"upper bound with slow real movement (null displacement p90): blendshape {u['blendshape']:.4f}, landmark {u['landmark_cm']:.4f} cm "
          f"({u['landmark_after_stable_fit_cm']:.4f} after the stable-landmark fit)")
    # per clip, both tiers: RMS over expression channels / region-landmark coordinates
    figs = lambda c: dict(bs_raw=rms(c['bs_raw'][EXPR]), bs_smooth=rms(c['bs_smooth'][EXPR]), bs_slow=rms(c['bs_slow'][EXPR]),
                          lm_raw=rms(c['lm_raw'][REGION_LM]), lm_smooth=rms(c['lm_smooth'][REGION_LM]), lm_slow=rms(c['lm_slow'][REGION_LM]))
    print("\nper clip (RMS over expression channels / region-landmark coordinates; '-' = stretches too short)")
    print(f"{'tier':8s} {'clip':32s} {'sex':3s} {'s':>4s} {'bs raw':>7s} {'bs sm':>7s} {'bs slow':>7s} {'lm raw':>7s} {'lm sm':>7s} {'lm slow':>7s}")
    for t in tiers:
        for k, c in tiers[t].items():
            g = figs(c)
            print(f"{t:8s} {k[-32:]:32s} {c['sex']:3s} {c['seconds']:4.1f} " + ' '.join(f4(g[x]) for x in ('bs_raw', 'bs_smooth', 'bs_slow', 'lm_raw', 'lm_smooth', 'lm_slow')))
    # JSON
    clips = {t: [dict(clip=k, person=c['person'], sex=c['sex'], fps=c['fps'], size=[c['width'], c['height']], iod_px=c['iod_px'],
                      frames=c['frames'], seconds=c['seconds'], repeated=c['repeated'], **figs(c)) for k, c in tiers[t].items()] for t in tiers}
    measured = {t: {k: c for k, c in tiers[t].items() if rms(c['bs_smooth'][EXPR]) is not None} for t in tiers} # long enough to measure
    persons = {t: sorted({c['person'] for c in measured[t].values()}) for t in tiers}
    # the resting ceiling of each expression blendshape: the upper quartile across the relaxed tier's clips of its level on their
    # still stretches, never below REST_FLOOR. Still is not always relaxed (some people hold a smile while they listen), so not a
    # higher percentile; features.estimate_neutral applies it only to the channels that rise with a clip's expression.
    levels = [c['level'] for c in measured['relaxed'].values()]
    rest = {n: max(REST_FLOOR, float(across([l[j] for l in levels], 75))) for j, n in enumerate(BLENDSHAPE_NAMES) if n in EXPRESSION_CHANNELS}
    out = dict(
        about=("MediaPipe Face Landmarker tracking noise on still stretches of real clips (facemimic issue 11, item 2). "
               "Blendshape values are scores 0..1; landmark values are pose-free landmarks in canonical-face cm (features.pose_free_landmarks). "
               "Noise of one value = robust SD (1.4826 MAD) of differences / sqrt(2). raw: consecutive frames (repeated frames skipped); "
               "smoothed: after features.clean_series, values one smoothing window apart; sd_about_mean: around the 0.5 s block mean (smoothed); "
               "null: SD of a smoothed frame minus a 0.4 s raw-median neutral (not divided by sqrt(2)). Across clips: median unless marked p90. "
               "rest: per expression blendshape, the upper quartile across the relaxed tier's clips of its mean level on their still stretches, "
               "at least 0.05: the highest value a relaxed face shows (features.rest_ceiling). See benchmarks/NOISE.md."),
        recommended=rec,
        rest=rest,
        blendshapes=s['blendshapes'],
        blendshape_level=lt,
        landmarks=dict(unit='cm, 3-D (root of the summed per-axis variances), median across clips', smoothed=s['landmark_smoothed_3d'], raw=s['landmark_raw_3d']),
        regions=s['regions'], overall=s['overall'], null=s['null'], lag_s=s['lag'], lag_s_p90=s['lag_p90'], plateau_n=s['plateau'],
        size=dict(relation=sz, clips=size_rows), fps=dict(summary=fps_summary, clips=fps_rows),
        relaxed=dict(overall=S['relaxed']['overall'], null=S['relaxed']['null'], plateau_n=S['relaxed']['plateau'], regions={k: S['relaxed']['regions'][k] for k in ('all_regions', 'lips', 'stable')},
                     main_channels={n: S['relaxed']['blendshapes'][n] for n in MAIN}),
        provenance=dict(date=datetime.date.today().isoformat(), versions=versions, model_sha256=model, script='benchmarks/noise_floor.py',
                        still=dict(min_seconds=STILL_S, tiers=TIERS, smoothing_s=SMOOTH_S, neutral_s=NEUTRAL_S, repeated_frame_grey=REPEAT_GREY, max_repeated=MAX_REPEATED),
                        totals={t: dict(clips=len(measured[t]), people=len(persons[t]), women=sum(p.endswith('_f') for p in persons[t]), seconds=S[t]['seconds'],
                                        persons=persons[t], found_too_short=sorted(set(tiers[t]) - set(measured[t]))) for t in tiers},
                        clips=clips))
    text = json.dumps(sig(out), separators=(',', ':'))
    Path(args.out).write_text(text + '\n')
    print(f"\nwrote {args.out} ({len(text) / 1024:.1f} KB)")

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(Path(__file__).resolve().parents[1] / 'facemimic' / 'data' / 'noise_floor.json'),
                    help='the JSON to write (default: the copy facemimic ships and reads, facemimic/data/noise_floor.json)')
    ap.add_argument('--media', default=None, help='folder holding the clips (default: ../shared/media next to the checkout)')
    ap.add_argument('--sheet', default=None, help='write a contact sheet PNG of the strict still stretches here')
    ap.add_argument('--quick', action='store_true', help='skip the re-extractions at smaller sizes and at half frame rate')
    args = ap.parse_args()
    media = Path(args.media) if args.media else Path(__file__).resolve().parents[2] / 'shared' / 'media'
    if not media.exists(): sys.exit(f"no media folder {media}: give --media DIR (the shared clips, see SOURCES.md)")
    tiers = {k: {} for k in TIERS}; sheet, versions, model, size_rows, fps_rows = [], None, None, {}, {}
    print(f"{'clip':34s} {'person':8s} {'fps':>5s} {'size':>9s} {'iod':>4s}  still stretches, frames (strict | relaxed)")
    for rel, (person, sex) in CLIPS.items():
        path = media / rel
        if not path.exists(): print(f"{rel:34s} not found, skipped"); continue
        t = extract(path, progress=False)
        versions, model = versions or t.meta.get('versions'), model or t.meta.get('model_sha256')
        runs = {k: still_stretches(t, **v) for k, v in TIERS.items()}
        rep = repeated_frames(path, t) if any(runs.values()) else None
        note = ''
        if rep is not None and rep.mean() > MAX_REPEATED: # a clip made mostly of repeated frames has frozen stretches, not still faces
            note = f"  (dropped: {rep.mean():.0%} of its frames repeat the previous one)"
            runs = {k: [] for k in TIERS}
        for k in TIERS:
            if not runs[k]: continue
            r = measure(t, runs[k], rep)
            r.update(person=person, sex=sex, width=t.width, height=t.height, frames=[[int(t.frame_index[a]), int(t.frame_index[b])] for a, b in runs[k]])
            tiers[k][rel] = r
        fr = lambda k: ' '.join(f"{int(t.frame_index[a])}-{int(t.frame_index[b])}" for a, b in runs[k]) or '-'
        iod = tiers['relaxed'][rel]['iod_px'] if rel in tiers['relaxed'] else float('nan')
        print(f"{rel:34s} {person:8s} {sampling_rate(t):5.1f} {t.width:4d}x{t.height:<4d} {iod:4.0f}  {fr('strict')} | {fr('relaxed')}{note}")
        if runs['strict']:
            sheet += [(str(path), t, ab) for ab in runs['strict']]
            if not args.quick:
                size_rows[rel] = rescaled(path, runs['strict'], rep, t)
                if sampling_rate(t) >= 24: fps_rows[rel] = half_rate(path, runs['strict'], t)
    if args.sheet: contact_sheet(sheet, args.sheet); print(f"contact sheet: {args.sheet}")
    S = {k: summarise(v) for k, v in tiers.items()}
    report(S, tiers, size_rows, fps_rows, versions, model, args)

if __name__ == '__main__':
    warnings.filterwarnings('ignore')
    main()
