"""The validation set of `benchmarks/validate.py`: labelled episodes, their four cuts, derived copies with known
answers, and speech distractors, built from `../shared/media` into a data folder outside the repository.

Nothing here is copied into the repository: clips and tracks go to `$FACEMIMIC_VALIDATION_DIR`
(default `~/.cache/facemimic/validation`). Every generated clip has a recipe (source file hash, frame list,
transform, frame rate); a clip or track is rebuilt only when its recipe changes, so a second run only compares.
Uses only facemimic's public API: `extract`, `load_track`, `FaceTrack.save` and the track's attributes.
"""
from __future__ import annotations
import hashlib, json, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, asdict
from multiprocessing import get_context
from pathlib import Path
import numpy as np

RECIPE_VERSION = 1 # bump to rebuild every clip (and so every track)
REPO = Path(__file__).resolve().parent.parent

# %% the labelled episodes
@dataclass
class Episode:
    id: str # '<clip>.<label>[n]'
    file: str # path inside the media folder
    label: str # smile, pucker, open, frown, brows, or a mixed label listed in MIXED
    person: str # people id (the same person in several files has one id)
    first: int # first frame of the expression (tight cut starts here)
    end: int # end of the expression, exclusive
    origin: str # where the range comes from
    note: str = ''
    apex_search: tuple|None = None # (first, end) to look for the apex in, when not the whole range
    contains: tuple = () # other labels visibly present in its cuts: neither positive nor negative for those references
    # filled in by `plan` from the full clip's track
    fps: float = float('nan')
    n_frames: int = 0
    apex: int = -1 # frame of maximum label activity in [first, end)
    loose: tuple = () # (first, end) of the loose cut
    cuts: dict = field(default_factory=dict) # cut name -> (first, end) frames, end exclusive
    neutral: dict = field(default_factory=dict) # k -> list of frames to prepend for the 'delay_neu{k}' cases

# Frame ranges: SOURCES.md's (end exclusive), adjusted within a few frames to the blendshape curves where
# SOURCES.md gives only '~' ranges (shared/media); dev/SOURCES.md ranges are kept as given.
EPISODES = [
    Episode('single_face.smile', 'single_face.mp4', 'smile', 'sf_m', 18, 71, 'SOURCES 18-71', 'held until the clip ends (smile drops at 70)'),
    Episode('d0.smile', 'd0.mp4', 'smile', 'd0_m', 18, 67, 'SOURCES 20-64, curve 18-66', 'a blink follows (65-70)'),
    Episode('d18.pucker', 'd18.mp4', 'pucker', 'd18_m', 15, 45, 'SOURCES ~15-45'),
    Episode('d18.open', 'd18.mp4', 'open', 'd18_m', 62, 99, 'SOURCES ~65-95, curve 61-99'),
    Episode('d18.smile_open', 'd18.mp4', 'smile+open', 'd18_m', 113, 156, 'SOURCES ~115-150, curve 113-155', 'mixed label: smile with the jaw wide open'),
    Episode('d18.frown', 'd18.mp4', 'frown', 'd18_m', 158, 201, 'added (not in SOURCES)',
            'pressed, rolled-in lower lip with chin raise; blendshapes like fye_m\'s frown (mouthRollLower, ShrugLower, Press)'),
    Episode('d19.smile1', 'd19.mp4', 'smile', 'd19_m', 5, 26, 'SOURCES ~5-30, curve 5-25'),
    Episode('d19.smile2', 'd19.mp4', 'smile', 'd19_m', 78, 106, 'SOURCES ~80-100, curve 78-105'),
    Episode('d19.smile3', 'd19.mp4', 'smile', 'd19_m', 154, 180, 'SOURCES ~155-180'),
    Episode('d19.smile4', 'd19.mp4', 'smile', 'd19_m', 193, 218, 'SOURCES ~195-220, curve 193-217'),
    Episode('d19.smile5', 'd19.mp4', 'smile', 'd19_m', 227, 250, 'SOURCES ~225-250', 'held until the clip ends'),
    Episode('xportrait.smile', 'dev/xportrait_driving.mp4', 'smile', 'xp_m', 17, 32, 'dev SOURCES', '12 fps; laugh with eyes squeezed'),
    Episode('katiehill.smile', 'dev/sadtalker_katiehill.mp4', 'smile', 'kh_f', 58, 74, 'dev SOURCES', 'short smile while speaking'),
    Episode('fye.frown', 'dev/followyouremoji_temple.mp4', 'frown', 'fye_m', 8, 29, 'dev SOURCES', 'sad/pressed mouth, chin raise; ends at the apex'),
    Episode('tiktok.brows', 'dev/hellomeme_tiktok.mp4', 'brows', 'tt_f', 146, 162, 'dev SOURCES',
            '15 fps; baseline is a closed-lip smile; ends at the apex and the clip. MediaPipe has her brows as high (browInnerUp 0.85) '
            'in the smile before (146-149) as in the raise, so the apex is looked for in the by-eye plateau 153-161',
            apex_search=(153, 162), contains=('smile',)),
    Episode('xzy3.open', 'dev/hellomeme_xzy3.mp4', 'open', 'xzy_m', 176, 193, 'dev SOURCES', '15 fps; out of talking'),
    Episode('nice.smile', 'dev/hellomeme_nice.mp4', 'smile', 'nice_m', 48, 71, 'dev SOURCES 48-70', '15 fps; ends at the apex and the clip; head turned, subtitles'),
    Episode('tpsmm.pucker', 'dev/tpsmm_driving.mp4', 'pucker', 'jc_m', 117, 144, 'dev SOURCES 118-146, curve 117-143', 'pursed lips tied to speech'),
    Episode('tpsmm.smile', 'dev/tpsmm_driving.mp4', 'smile', 'jc_m', 146, 169, 'dev SOURCES 147-168', 'closed smile tied to speech; ends with the clip'),
]
# Dropped: d18's "brow movements" (SOURCES.md). browInnerUp/browOuterUp stay below 0.05 over all of d18 and no
# raise is visible on a contact sheet; the movement after 156 is the lower-lip frown added above.
MIXED = {'smile+open': ('smile', 'open')} # mixed labels: neither positive nor negative for references of their parts
# tiktok.brows `contains` a smile: her baseline is a closed-lip smile (mouthSmile 0.6-0.75 up to frame 149), in every cut.
APEX_CHANNELS = { # blendshapes whose sum marks the apex of an episode of each label
    'smile': ['mouthSmileLeft', 'mouthSmileRight'],
    'pucker': ['mouthPucker', 'mouthFunnel'],
    'open': ['jawOpen'],
    'smile+open': ['mouthSmileLeft', 'mouthSmileRight', 'jawOpen'],
    'frown': ['mouthFrownLeft', 'mouthFrownRight', 'mouthRollLower', 'mouthShrugLower', 'mouthPressLeft', 'mouthPressRight', 'browDownLeft', 'browDownRight'],
    'brows': ['browInnerUp', 'eyeWideLeft', 'eyeWideRight'], # tt_f's outer brows are up in her smiles too
}
# Unlabelled expressions that a loose cut must not run into (besides the other episodes of the same file).
BLOCKERS = {'d19.mp4': [(41, 61)], # a small smile (0.35)
            'd18.mp4': [(203, 216)], # pout with pucker at the end of the clip
            'dev/xportrait_driving.mp4': [(0, 10)]} # a grin before the labelled one
# Neutral stretches (frames, end exclusive), checked on the curves and by eye; used for 'delay by neutral frames'.
NEUTRAL = {'single_face.mp4': [(0, 18)], 'd0.mp4': [(0, 18)], 'd18.mp4': [(0, 14), (46, 61), (100, 113)],
           'd19.mp4': [(27, 40), (113, 151), (181, 192)], 'dev/followyouremoji_temple.mp4': [(0, 9)]}

@dataclass
class Speech:
    id: str
    file: str
    person: str
    first: int
    end: int

SPEECH = [Speech(f'speech.{name}{i}', file, person, a, b) for name, file, person, ranges in [
    ('aoc', 'dev/sadtalker_aoc.mp4', 'aoc_f', [(0, 75), (100, 175)]),
    ('xzy1_', 'dev/hellomeme_xzy1.mp4', 'xzy_m', [(30, 75), (250, 295), (480, 525)]),
    ('xzy2_', 'dev/hellomeme_xzy2.mp4', 'xzy_m', [(20, 65), (100, 145)]),
    ('fom00_', 'dev/fom_00.mp4', 'fom00_m', [(0, 90), (100, 190)]),
    ('fom04_', 'dev/fom_04.mp4', 'fom04_m', [(0, 90), (110, 200)]),
    ('fom08_', 'dev/fom_08.mp4', 'fom08_m', [(20, 125)]),
    ('fom10_', 'dev/fom_10.mp4', 'fom10_m', [(0, 90), (300, 390)]),
    ('dped', 'dev/dpe_d.mp4', 'dped_m', [(0, 75), (200, 275)]),
    ('dpes', 'dev/dpe_s.mp4', 'dpes_m', [(0, 75), (140, 215)]),
    ('edmouth', 'dev/edtalk_mouth_source.mp4', 'edm_f', [(0, 75), (150, 225)]),
] for i, (a, b) in enumerate(ranges, 1)]

CUTS = ('loose', 'tight', 'from_apex', 'to_apex')
DELAYS = (6, 15)
# derived copies of each episode's loose cut: case -> (transform, description)
CASES = {
    **{f'delay_rep{k}': ('none', f'first frame repeated {k} times') for k in DELAYS},
    **{f'delay_neu{k}': ('none', f'{k} neutral frames of the same clip prepended') for k in DELAYS},
    'slow2x': ('none', 'every frame twice'), 'fast2x': ('none', 'every other frame'),
    'fps15': ('none', 'resampled to 15 fps (nearest frame)'), 'mirror': ('mirror', 'flipped left-right'),
    'half': ('half', 'half width and height'), 'quarter': ('quarter', 'quarter width and height'),
    'dark': ('dark', 'pixel values x 0.55'), 'bright': ('bright', 'pixel values x 1.4 + 10, clipped'),
    'lowbitrate': ('jpeg', 'every frame JPEG-compressed at quality 8, then mp4v'), 'noise': ('noise', 'Gaussian noise, sigma 12 grey levels'),
}
QUICK_EPISODES = ('d0.smile', 'xportrait.smile', 'katiehill.smile', 'd18.pucker', 'tpsmm.pucker', 'd18.open', 'xzy3.open',
                  'fye.frown', 'd18.frown', 'tiktok.brows')
MIN_CUT_S = 0.3 # a from-apex cut shorter than this is dropped (the episode ends at its apex)

# %% folders and hashes
def data_dir(arg=None)->Path:
    "The data folder: `arg`, `$FACEMIMIC_VALIDATION_DIR`, or `~/.cache/facemimic/validation`."
    d = Path(arg or os.environ.get('FACEMIMIC_VALIDATION_DIR') or Path.home()/'.cache'/'facemimic'/'validation').expanduser()
    d.mkdir(parents=True, exist_ok=True)
    return d

def media_dir(arg=None)->Path:
    "The shared media folder: `arg` or `../shared/media` relative to the repository root."
    d = Path(arg).expanduser() if arg else (REPO.parent/'shared'/'media')
    if not (d/'SOURCES.md').is_file(): sys.exit(f"validate: {d} is not the shared media folder (no SOURCES.md); give --media.")
    return d.resolve()

_SHA = {}
def file_sha(p:Path)->str:
    p = Path(p); k = (str(p), p.stat().st_mtime_ns, p.stat().st_size)
    if k not in _SHA: _SHA[k] = hashlib.sha256(p.read_bytes()).hexdigest()
    return _SHA[k]

def _key(obj)->str: return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:20]

def _write_json(path:Path, obj):
    tmp = path.with_name(path.name + '.tmp'); tmp.write_text(json.dumps(obj, indent=1)); os.replace(tmp, path)

def _read_json(path:Path):
    try: return json.loads(path.read_text())
    except (OSError, ValueError): return None

def _quiet_mediapipe(log:str|None=None):
    "Ask MediaPipe's C++ logging to be quiet; with `log`, send this process's stderr (MediaPipe's start-up lines) there."
    os.environ.setdefault('GLOG_minloglevel', '2'); os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2); os.close(fd)

def _pool(workers:int, log:str|None=None):
    "A pool of `workers` fresh processes; one BLAS thread each, so that they do not fight over the cores."
    for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(v, '1') # inherited by the workers
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context('spawn'), initializer=_quiet_mediapipe, initargs=(log,))

# %% extraction (cached by recipe key)
FACE_CHECK_ENV = 'FACEMIMIC_VALIDATION_FACE_CHECK_S' # set by `validate.py --face-check-s`; read by the worker processes too

def face_check_s()->float:
    "Seconds between face counts when one face is tracked (`$FACEMIMIC_VALIDATION_FACE_CHECK_S`); 0: two faces looked for in every frame (the default)."
    return float(os.environ.get(FACE_CHECK_ENV) or 0)

def _extract_one(job):
    "Worker: extract one clip to `track`, writing a sidecar with its key (or the error)."
    clip, track, key = job
    import facemimic
    t0 = time.perf_counter()
    side = Path(track).with_suffix('.json')
    try:
        from facemimic.backends.mediapipe import MediaPipeBackend
        check_s = face_check_s() # > 0: one face tracked, faces counted every `check_s` seconds
        tr = facemimic.extract(clip, cache=False, progress=False, backend=MediaPipeBackend(face_check_s=check_s) if check_s else None)
        tr.save(track)
        info = dict(key=key, frames=int(tr.n_frames), face_frames=int(np.sum(tr.face_mask)), error=None)
    except Exception as e: # a clip without a detectable face (e.g. quarter size) is a result, not a crash
        Path(track).unlink(missing_ok=True)
        info = dict(key=key, error=f'{type(e).__name__}: {e}')
    info.update(seconds=round(time.perf_counter() - t0, 2), facemimic=getattr(facemimic, '__version__', '?'))
    _write_json(side, info)
    return info

def extract_all(jobs:list, workers:int, what:str, log:str|None=None)->int:
    "Extract `(clip, track, key)` jobs whose sidecar key differs; returns how many ran."
    def stale(j):
        side = _read_json(Path(j[1]).with_suffix('.json')) or {}
        return side.get('key') != j[2] or (not side.get('error') and not Path(j[1]).exists())
    todo = [j for j in jobs if stale(j)]
    if not todo: return 0
    print(f"extracting {len(todo)} {what} with MediaPipe ({workers} workers) ...", flush=True)
    t0 = time.perf_counter()
    if workers <= 1: res = [_extract_one(j) for j in todo]
    else:
        with _pool(workers, log) as ex: res = list(ex.map(_extract_one, todo, chunksize=1))
    bad = [r for r in res if r.get('error')]
    print(f"  done in {time.perf_counter() - t0:.0f} s" + (f"; {len(bad)} without a usable face" if bad else ''), flush=True)
    return len(todo)

def load_track_checked(job:tuple):
    "The track of an extraction job, extracted again if it cannot be read (e.g. after a change of the track format)."
    import facemimic
    try: return facemimic.load_track(job[1])
    except Exception:
        Path(job[1]).with_suffix('.json').unlink(missing_ok=True)
        info = _extract_one(job)
        if info.get('error'): raise RuntimeError(f"{job[0]}: {info['error']}")
        return facemimic.load_track(job[1])

# %% planning
def _label_activity(track, label:str)->np.ndarray:
    names = list(track.blendshape_names)
    cols = [names.index(c) for c in APEX_CHANNELS[label]]
    return np.nan_to_num(track.blendshapes[:, cols].astype(float), nan=0.0).sum(1)

def _neutral_frames(ep:Episode, k:int, neutral:dict|None=None)->list|None:
    "k neutral frames of the same clip to prepend to the loose cut: from the stretch nearest the loose start, or None."
    lf = ep.loose[0]
    fits = [(a, b) for a, b in (NEUTRAL if neutral is None else neutral).get(ep.file, []) if b - a >= k]
    if not fits: return None
    dist = lambda s: 0 if s[0] <= lf <= s[1] else min(abs(lf - s[0]), abs(lf - s[1]))
    a, b = min(fits, key=dist)
    end = min(max(lf, a + k), b) # the k frames of the stretch that end nearest the loose start
    return list(range(end - k, end))

def plan_episodes(media:Path, data:Path, workers:int, labelled:list|None=None, neutral:dict|None=None, blockers:dict|None=None)->list:
    "Extract the full clips (cached) and fill in each episode's apex, loose cut, cuts and neutral frames (of `EPISODES`, or of `labelled`: see `annotated_episodes`)."
    labelled = EPISODES if labelled is None else labelled # the labelled set: the module's, or annotated episodes
    neutral, blockers = NEUTRAL if neutral is None else neutral, BLOCKERS if blockers is None else blockers
    files = sorted({e.file for e in labelled})
    src = data/'sources'; src.mkdir(exist_ok=True)
    jobs = [(str(media/f), str(src/(f.replace('/', '__').replace('.mp4', '') + '.npz')), _key([file_sha(media/f), 'full'])) for f in files]
    extract_all(jobs, workers, 'full source clips', str(data/'mediapipe.log'))
    tracks = {f: load_track_checked(j) for f, j in zip(files, jobs)}
    out = []
    for ep in labelled:
        ep = Episode(**{k: v for k, v in asdict(ep).items()})
        t = tracks[ep.file]
        ep.fps, ep.n_frames = float(t.fps), int(t.n_frames)
        act = np.convolve(_label_activity(t, ep.label), np.ones(3) / 3, mode='same') # 3-frame mean: no single-frame spikes
        a, b = ep.apex_search or (ep.first, ep.end)
        ep.apex = int(a + np.argmax(act[a:b]))
        pad = int(round(ep.fps)) # about a second of context on each side
        others = [(o.first, o.end) for o in labelled if o.file == ep.file and o.id != ep.id] + blockers.get(ep.file, [])
        lf = max([0, ep.first - pad] + [b for a, b in others if b <= ep.first])
        le = min([ep.n_frames, ep.end + pad] + [a for a, b in others if a >= ep.end])
        ep.loose = (lf, le)
        min_len = max(3, int(round(MIN_CUT_S * ep.fps)))
        ep.cuts = {'loose': (lf, le), 'tight': (ep.first, ep.end), 'to_apex': (lf, ep.apex + 1)}
        fa_end = min(le, max(ep.end, ep.apex + min_len))
        if fa_end - ep.apex >= min_len: ep.cuts['from_apex'] = (ep.apex, fa_end)
        ep.neutral = {k: _neutral_frames(ep, k, neutral) for k in DELAYS}
        out.append(ep)
    return out

# %% labelled episodes from annotation sidecars (`facemimic.episodes`)
ANNOTATION_LABELS = {'smile': 'smile', 'pucker': 'pucker', 'frown': 'frown', 'open': 'open', 'open-mouth': 'open', 'surprise': 'open',
                     'brows': 'brows', 'smile+open': 'smile+open'} # an annotator's label -> the validation set's (surprise: the jaw drop)

def _recording_of(sidecar:Path, info:dict)->Path:
    "The recording a sidecar annotates: `clip.mp4` for `clip.mp4.episodes.csv`, else the file its `recording` names beside it."
    from facemimic.episodes import SIDECAR
    if sidecar.name.endswith(SIDECAR): return sidecar.with_name(sidecar.name[:-len(SIDECAR)])
    if not info.get('recording'): sys.exit(f"validate: {sidecar} names no recording: save it as RECORDING.episodes.csv beside the recording.")
    return sidecar.parent/info['recording']

def _person_column(side:Path)->list|None:
    "The `person` cell of each row of a CSV sidecar that has that column (blank cells: None), else None."
    if side.suffix.lower() != '.csv': return None
    import pandas as pd
    df = pd.read_csv(side, dtype=str, keep_default_na=False)
    return [p.strip() or None for p in df['person']] if 'person' in df.columns else None

def annotated_episodes(sidecars:list, persons:dict|None=None)->tuple:
    "(episodes, neutral stretches, blockers) from annotation sidecars: each expression episode with a known label, as `plan_episodes` takes them."
    # who is filmed: a `person` column of the sidecar, else `persons[sidecar]`, else the recording's name
    from facemimic.episodes import load_episodes
    from facemimic.errors import FacemimicError
    episodes, neutral, blockers, skipped = [], {}, {}, []
    for side in map(Path, sidecars):
        try: eps = load_episodes(side)
        except FacemimicError as e: sys.exit(f"validate: {e}")
        rec = _recording_of(side, eps.info).resolve()
        if not rec.is_file(): sys.exit(f"validate: {rec} (the recording of {side.name}) does not exist.")
        file, person, count = str(rec), {str(Path(k)): v for k, v in (persons or {}).items()}.get(str(side), rec.stem), {}
        people = [p or person for p in (_person_column(side) or [None] * len(eps))] # a recording of several people names each one's in a `person` column
        for e, filmed in zip(eps, people):
            first, end = e.onset_frame, e.offset_frame + 1
            label = ANNOTATION_LABELS.get(e.label.strip().lower())
            if e.kind == 'neutral': neutral.setdefault(file, []).append((first, end))
            elif e.kind == 'expression' and label:
                count[label] = count.get(label, 0) + 1
                who = f" by {eps.annotator}" if eps.annotator else ''
                episodes.append(Episode(f'{rec.stem}.{label}{count[label]}', file, label, filmed, first, end, f'annotated{who} ({side.name})'))
            else: # speech, and expressions without a validation label: a loose cut must not run into them
                blockers.setdefault(file, []).append((first, end))
                if e.kind == 'expression': skipped.append(e.label or '(no label)')
    if skipped: print(f"annotated episodes left out (no validation label for them): {', '.join(sorted(set(skipped)))}")
    if not episodes: sys.exit("validate: the annotation files hold no expression episode labelled " + ', '.join(sorted(ANNOTATION_LABELS)) + '.')
    return episodes, neutral, blockers

@dataclass
class ClipSpec:
    id: str # clip id: '<episode>.<cut>', '<episode>.x.<case>' or 'speech.<name>'
    file: str # source file inside the media folder
    frames: list # source frame indices, in order (repeats allowed)
    fps: float
    transform: str = 'none'
    kind: str = 'cut' # 'cut', 'derived' or 'speech'
    episode: str|None = None
    case: str|None = None # cut name or derived case
    key: str = '' # recipe hash, set by `build`

def _resample(n:int, fps:float, new_fps:float)->list:
    "Indices 0..n-1 of the nearest frames at `new_fps` over the same duration."
    m = int(np.floor(n * new_fps / fps + 1e-9))
    return [min(n - 1, int(round(k * fps / new_fps))) for k in range(m)]

def clip_specs(episodes:list, derived_for:set)->list:
    "The clips to build: four cuts of every episode, speech clips, and derived copies of the loose cuts of `derived_for`."
    specs = []
    for ep in episodes:
        for cut, (a, b) in ep.cuts.items():
            specs.append(ClipSpec(f'{ep.id}.{cut}', ep.file, list(range(a, b)), ep.fps, kind='cut', episode=ep.id, case=cut))
    for s in SPEECH:
        specs.append(ClipSpec(s.id, s.file, list(range(s.first, s.end)), float('nan'), kind='speech'))
    for ep in episodes:
        if ep.id not in derived_for: continue
        lf, le = ep.loose
        base = list(range(lf, le))
        for case, (transform, _) in CASES.items():
            frames, fps = base, ep.fps
            if case.startswith('delay_rep'): frames = [lf] * int(case[9:]) + base
            elif case.startswith('delay_neu'):
                pre = ep.neutral.get(int(case[9:]))
                if pre is None: continue
                frames = pre + base
            elif case == 'slow2x': frames = [f for f in base for _ in (0, 1)]
            elif case == 'fast2x': frames = base[::2]
            elif case == 'fps15':
                if ep.fps <= 15.5: continue # already at or below 15 fps
                frames, fps = [base[i] for i in _resample(len(base), ep.fps, 15.0)], 15.0
            specs.append(ClipSpec(f'{ep.id}.x.{case}', ep.file, frames, fps, transform, 'derived', ep.id, case))
    return specs

# %% building clips
def _transform(img:np.ndarray, how:str, rng)->np.ndarray:
    import cv2
    h, w = img.shape[:2]
    even = lambda v: max(16, int(v) // 2 * 2)
    if how == 'none': return img
    if how == 'mirror': return img[:, ::-1].copy()
    if how == 'half': return cv2.resize(img, (even(w / 2), even(h / 2)), interpolation=cv2.INTER_AREA)
    if how == 'quarter': return cv2.resize(img, (even(w / 4), even(h / 4)), interpolation=cv2.INTER_AREA)
    if how == 'dark': return np.clip(np.round(img.astype(np.float32) * 0.55), 0, 255).astype(np.uint8)
    if how == 'bright': return np.clip(np.round(img.astype(np.float32) * 1.4 + 10), 0, 255).astype(np.uint8)
    if how == 'jpeg':
        ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 8])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if how == 'noise': return np.clip(img.astype(np.float32) + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    raise ValueError(how)

def _build_source(job):
    "Worker: decode one source file once and write every clip of it whose recipe changed."
    import cv2
    src, specs = job
    need = sorted({f for s in specs for f in s['frames']})
    frames, cap, i = {}, cv2.VideoCapture(src), 0
    while i <= need[-1]:
        ok, bgr = cap.read()
        if not ok: break
        if i in need: frames[i] = bgr
        i += 1
    cap.release()
    missing = [f for f in need if f not in frames]
    if missing: raise RuntimeError(f"{src}: frames {missing[:5]}... could not be decoded")
    for s in specs:
        rng = np.random.default_rng(int(s['key'][:8], 16))
        imgs = [_transform(frames[f], s['transform'], rng) for f in s['frames']]
        h, w = imgs[0].shape[:2]
        out = Path(s['path']); tmp = out.with_name('.' + out.name)
        wr = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*'mp4v'), float(s['fps']), (w, h))
        if not wr.isOpened(): raise RuntimeError(f"OpenCV cannot write {tmp} (mp4v)")
        for im in imgs: wr.write(im)
        wr.release()
        n = int(cv2.VideoCapture(str(tmp)).get(cv2.CAP_PROP_FRAME_COUNT))
        if n != len(imgs): raise RuntimeError(f"{tmp}: wrote {len(imgs)} frames, reads back {n}")
        os.replace(tmp, out)
        _write_json(out.with_suffix('.json'), dict(key=s['key'], recipe={k: s[k] for k in ('file', 'frames', 'fps', 'transform')}))
    return len(specs)

def build(specs:list, media:Path, data:Path, workers:int)->dict:
    "Write the clips whose recipe changed, then extract their tracks. Returns {clip id: track path} and counts."
    clips, tracks = data/'clips', data/'tracks'
    clips.mkdir(exist_ok=True); tracks.mkdir(exist_ok=True)
    src_fps = {}
    todo = {}
    for s in specs:
        if not np.isfinite(s.fps): # speech: the source's frame rate
            if s.file not in src_fps:
                import cv2
                src_fps[s.file] = float(cv2.VideoCapture(str(media/s.file)).get(cv2.CAP_PROP_FPS))
            s.fps = src_fps[s.file]
        key = _key(dict(v=RECIPE_VERSION, src=file_sha(media/s.file), frames=s.frames, fps=round(s.fps, 6), transform=s.transform))
        s.key = key
        path = clips/f'{s.id}.mp4'
        if (_read_json(path.with_suffix('.json')) or {}).get('key') != key or not path.exists():
            todo.setdefault(str(media/s.file), []).append(dict(path=str(path), key=key, file=s.file, frames=s.frames, fps=s.fps, transform=s.transform))
    n_built = sum(len(v) for v in todo.values())
    if todo:
        print(f"writing {n_built} clips from {len(todo)} source files ...", flush=True)
        t0 = time.perf_counter()
        jobs = sorted(todo.items(), key=lambda kv: -sum(len(s['frames']) for s in kv[1]))
        if workers <= 1: [_build_source(j) for j in jobs]
        else:
            with _pool(workers) as ex: list(ex.map(_build_source, jobs))
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
    jobs = [(str(clips/f'{s.id}.mp4'), str(tracks/f'{s.id}.npz'), s.key) for s in specs]
    n_ext = extract_all(jobs, workers, 'clips', str(data/'mediapipe.log'))
    status = {s.id: _read_json(tracks/f'{s.id}.json') or {} for s in specs}
    return dict(tracks={s.id: tracks/f'{s.id}.npz' for s in specs}, status=status, built=n_built, extracted=n_ext)
