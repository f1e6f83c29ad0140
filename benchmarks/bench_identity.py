"""Dynamic identity signatures on every person of ../shared/media and ../shared/media/dev (development clips).

Each person's face frames, in clip order, are split: the first 70 % train (the last 20 % of those windows are the
validation split for early stopping), the remaining 30 % are held out. Held-out frames of each clip are cut into
consecutive 3-second segments (a remainder shorter than 1.5 s joins the previous segment). Every held-out window, and
every segment (the mean log-probability of its windows), is scored under every person's model.
Prints, per feature set and model: top-1 over windows, top-1 over segments, the AUC of same-person against
other-person window log-probabilities, the same AUC for the log-posterior among the models (the log-probability
minus the log of the window's summed probability under all the models: a cohort normalisation, which ranks the
models of a window as the log-probability does), and the training time; then the training time of one flow on 5,000 frames.

    python benchmarks/bench_identity.py [--quick]
"""
import sys, time
from pathlib import Path
import numpy as np
from facemimic.extraction import extract
from facemimic.features import sampling_rate
from facemimic.identity import IdentityFeatures, IdentityModel, train_models, window_features, _log_prob_windows

S = Path(__file__).resolve().parents[2]/'shared'/'media'
D = S/'dev'
PEOPLE = {'sf_m': [S/'single_face.mp4'], 'd0_m': [S/'d0.mp4'], 'd18_m': [S/'d18.mp4'], 'd19_m': [S/'d19.mp4'],
          'xp_m': [D/'xportrait_driving.mp4'], 'kh_f': [D/'sadtalker_katiehill.mp4'], 'fye_m': [D/'followyouremoji_temple.mp4'],
          'tt_f': [D/'hellomeme_tiktok.mp4'], 'xzy_m': [D/f'hellomeme_xzy{i}.mp4' for i in (1, 2, 3)], 'nice_m': [D/'hellomeme_nice.mp4'],
          'aoc_f': [D/'sadtalker_aoc.mp4', D/'edtalk_pose_source1.mp4'], # the same woman, same setting (checked by eye)
          'jc_m': [D/'tpsmm_driving.mp4'], 'ed_f': [D/'edtalk_expression_source.mp4'], 'am_f': [D/'edtalk_mouth_source.mp4'],
          'tl_m': [D/'edtalk_pose_source2.mp4'], 'fom00_m': [D/'fom_00.mp4'], 'fom04_m': [D/'fom_04.mp4'], 'fom08_m': [D/'fom_08.mp4'],
          'fom10_m': [D/'fom_10.mp4'], 'dped_m': [D/'dpe_d.mp4'], 'dpes_m': [D/'dpe_s.mp4']} # person: clips (SOURCES.md; edtalk and dpe identities checked by eye)
TRAIN, SEGMENT_S = 0.7, 3.0

def split(tracks:list)->tuple:
    "First 70 % of a person's face frames (in clip order) as training tracks, the rest as held-out tracks."
    n = sum(int(t.face_mask.sum()) for t in tracks); cut, seen, train, test = int(round(TRAIN * n)), 0, [], []
    for t in tracks:
        rows = np.flatnonzero(t.face_mask); k = max(0, min(len(rows), cut - seen)); seen += len(rows)
        if k: train.append(t.take(np.arange(rows[k - 1] + 1)))
        if k < len(rows): test.append(t.take(np.arange(rows[k], t.n_frames)))
    return train, test

def segments(track)->list:
    "The held-out track cut into consecutive SEGMENT_S-second pieces."
    n = int(round(SEGMENT_S * sampling_rate(track))); cuts = list(range(0, track.n_frames, n))
    if len(cuts) > 1 and track.n_frames - cuts[-1] < n // 2: cuts.pop()
    return [track.take(np.arange(a, b)) for a, b in zip(cuts, cuts[1:] + [track.n_frames])]

def auc(pos, neg)->float:
    "Probability that a same-person score beats an other-person score (ties count half)."
    from scipy.stats import rankdata
    r = rankdata(np.r_[pos, neg]); return (r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))

def evaluate(train:dict, test:dict, kind:str, features:IdentityFeatures, **hp)->dict:
    from facemimic.errors import TooShortError
    from facemimic.identity import fit_shape
    features = fit_shape(features, [t for ts in train.values() for t in ts])
    t0 = time.perf_counter(); models = {}
    for p, ts in train.items():
        try: models[p] = IdentityModel(kind, features, p, **hp).fit(ts)
        except TooShortError: pass # too few training frames for a model: the person is left out (listed by main)
    train_s = time.perf_counter() - t0
    from scipy.special import logsumexp
    people = list(models); wt = wn = st = sn = 0; pos, neg, ppos, pneg = [], [], [], []
    for i, p in enumerate(people):
        for seg in test[p]:
            X = window_features(seg, models[p].features)[0]
            if not len(X): continue
            L = np.stack([_log_prob_windows(models[q], X) for q in people])
            L = np.nan_to_num(L, nan=-1e9, neginf=-1e9)
            wt += int((L.argmax(0) == i).sum()); wn += L.shape[1]; st += int(L.mean(1).argmax() == i); sn += 1
            pos += list(L[i]); neg += list(np.delete(L, i, 0).ravel())
            Q = L - logsumexp(L, axis=0); ppos += list(Q[i]); pneg += list(np.delete(Q, i, 0).ravel())
    return dict(window_top1=wt / wn, segment_top1=st / sn, auc=auc(pos, neg), auc_posterior=auc(ppos, pneg), train_s=train_s, windows=wn, segments=sn)

def main(quick:bool=False):
    missing = [str(c) for cs in PEOPLE.values() for c in cs if not c.exists()]
    if missing: sys.exit(f"bench_identity: the development clips are missing ({missing[0]} ...): run beside ../shared/media.")
    tracks = {p: [extract(c, progress=False) for c in cs] for p, cs in PEOPLE.items()}
    train, test = {}, {}
    for p, ts in tracks.items():
        tr, te = split(ts); train[p] = tr; test[p] = [s for t in te for s in segments(t)]
    from facemimic.errors import TooShortError
    for p in list(train): # people whose training part is too short for a model of the movement features
        try: IdentityModel('gaussian', IdentityFeatures(), p).fit(train[p])
        except TooShortError as e:
            print(f"left out: {e}"); del train[p], test[p]
    print(f"{len(tracks)} people, {sum(int(t.face_mask.sum()) for ts in tracks.values() for t in ts)} face frames; "
          f"held out: {sum(len(v) for v in test.values())} segments of up to {SEGMENT_S:g} s")
    sets = {'movement (pose, velocity, blendshape groups)': IdentityFeatures(), 'movement + face shape (16 PCA)': IdentityFeatures(n_shape=16)}
    kinds = {'gaussian': ('gaussian', {}), 'gauss .01': ('gaussian', dict(reg_covar=0.01)), 'mixture': ('mixture', {}), 'flow': ('flow', {})} # .01: the first round's reg_covar (default now 1)
    print(f"{'features':48s} {'model':9s} {'win top1':>8s} {'seg top1':>8s} {'AUC':>6s} {'AUC post':>8s} {'train s':>8s}")
    for name, f in sets.items():
        for label, (kind, hp) in kinds.items():
            r = evaluate(train, test, kind, f, **hp)
            print(f"{name:48s} {label:9s} {r['window_top1']:8.3f} {r['segment_top1']:8.3f} {r['auc']:6.3f} {r['auc_posterior']:8.3f} {r['train_s']:8.1f}   ({r['windows']} windows, {r['segments']} segments)", flush=True)
        if quick: break
    # training time of one flow on 5,000 face frames (clips of several people stand in for one long recording)
    pool, n = [], 0
    for t in sorted((t for ts in tracks.values() for t in ts), key=lambda t: -t.n_frames):
        take = min(t.n_frames, 5000 - n); pool.append(t.take(np.arange(take))); n += take
        if n >= 5000: break
    t0 = time.perf_counter(); m = IdentityModel('flow', IdentityFeatures(), 'pool').fit(pool); s = time.perf_counter() - t0
    print(f"one flow on {n} frames ({m.n_windows} training windows): {s:.1f} s, {len(m.losses['train'])} epochs")

if __name__ == '__main__': main('--quick' in sys.argv)
