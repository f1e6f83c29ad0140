"""Segmenting long recordings (issue 18): episodes found, boundary error, label accuracy, false episodes per minute, speed.

A long recording is built by concatenating real clips of `../shared/media` and `../shared/media/dev` with the
imageio-ffmpeg binary: every file with labelled episodes (`validation_set.EPISODES` whose range comes from a
`SOURCES.md`), each after one second of its own first frame held still, with speech clips (`validation_set.SPEECH`)
in between (`--recipe episodes`: each labelled episode cut out with `MARGIN_S` either side instead of its whole file,
as the issue words it). All pieces are resampled to 30 fps and padded to 480x480. The recording and its track live in the data
folder (`$FACEMIMIC_VALIDATION_DIR` or `~/.cache/facemimic/validation`, subfolder `segment/`); nothing is copied into
the repository.

Measured, from `facemimic.episodes.segment_recording` on the recording's track:
- found: a labelled episode is found when one suggested episode overlaps it (by at least half of the shorter of the two);
  within ±5: its onset and offset are both within 5 frames of the labels, counted in the source clip's frames;
- label accuracy: share of found episodes whose suggested label is the label's (open and brows are `surprise` in
  `label_frames`' vocabulary; d18's smile with an open jaw may be either);
- false episodes per minute: suggested expression episodes overlapping no labelled episode and no known unlabelled
  expression (`validation_set.BLOCKERS`, d18's added frown), per minute of the rest of the recording (neutral and speech),
  and separately per minute of the speech pieces;
- speed: `segment_recording` on a 30-minute track made by tiling the recording's arrays, against the baseline of one
  pass of `np.median` over its blendshapes (a floor of what any per-frame method costs).

Targets (issue 18): >= 90 % found within ±5 frames, <= 1 false episode per minute, label accuracy >= 80 %, 30 min in < 5 s.
Usage: python benchmarks/bench_segment.py [--media DIR] [--data DIR] [--json FILE] [--no-compare] [--sheet PNG] [--speech-cut 2] [--recipe episodes]
"""
from __future__ import annotations
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validation_set import EPISODES, SPEECH, BLOCKERS, data_dir, media_dir, file_sha, _key, _write_json, _read_json

FPS, SIZE, HOLD_S = 30, 480, 1.0
MARGIN_S = 1.0 # with --recipe episodes: seconds of the source kept before and after each labelled episode
TRUTH_LABELS = {'smile': {'smile'}, 'pucker': {'pucker'}, 'open': {'surprise'}, 'brows': {'surprise'}, 'frown': {'frown'},
                'smile+open': {'smile', 'surprise'}} # a label of SOURCES.md -> suggestions that count as right
RECIPE = 1

def labelled()->list:
    "The episodes whose range comes from a SOURCES.md (not the ones the validation set added, nor speech-tied ones)."
    return [e for e in EPISODES if not e.origin.startswith('added') and not e.file.startswith('dev/tpsmm')]

def _episode_ranges(media:Path, f:str)->list:
    "[(first, end)] of the file's labelled episodes, each widened by `MARGIN_S` on either side (within the file), overlapping ones merged."
    fps, n = _source_info(media/f)
    m, out = int(round(MARGIN_S * fps)), []
    for e in sorted((e for e in labelled() if e.file == f), key=lambda e: e.first):
        a, b = max(0, e.first - m), min(n, e.end + m)
        if out and a <= out[-1][1]: out[-1] = (out[-1][0], max(out[-1][1], b))
        else: out.append((a, b))
    return out

def pieces(cut:int=1, recipe:str='files', media:Path|None=None)->list:
    "[(kind, file, first, end)] in recording order: each labelled file whole ('files') or its episodes cut out with a margin ('episodes'), each followed by a speech cut (each speaker's `cut`-th)."
    files = list(dict.fromkeys(e.file for e in labelled()))
    spans = [(f, a, b) for f in files for a, b in (_episode_ranges(media, f) if recipe == 'episodes' else [(0, None)])]
    speech = [s for s in SPEECH if s.id.endswith(str(cut))]
    out = []
    for i, (f, a, b) in enumerate(spans):
        out.append(('episodes', f, a, b))
        if i < len(speech): out.append(('speech', speech[i].file, speech[i].first, speech[i].end))
    return out

def _ffmpeg()->str:
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()

def _frame_count(path:Path)->int:
    import cv2
    cap = cv2.VideoCapture(str(path)); n = 0
    while cap.grab(): n += 1
    cap.release(); return n

def _source_info(path:Path)->tuple:
    "(frames per second, frame count as the container states it) of a source video."
    import cv2
    cap = cv2.VideoCapture(str(path)); fps, n = cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_COUNT)); cap.release()
    return fps, n

def _plan_name(media:Path, plan:list)->str:
    "The file name of the recording of `plan`: it changes when the pieces, their sources or the recipe change."
    recipe = dict(version=RECIPE, fps=FPS, size=SIZE, hold_s=HOLD_S, pieces=[(k, f, a, b, file_sha(media/f)) for k, f, a, b in plan])
    return f'recording-{_key(recipe)}.mp4'

def recording_name(media:Path, cut:int=1, recipe_name:str='files')->str:
    "The file name of the recording `build_recording` writes for these options."
    return _plan_name(media, pieces(cut, recipe_name, media))

def build_recording(media:Path, out_dir:Path, cut:int=1, recipe_name:str='files')->tuple:
    "Write the recording (if its recipe changed) and return (path, truth dict)."
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = pieces(cut, recipe_name, media)
    rec = out_dir/_plan_name(media, plan); truth_path = rec.with_suffix('.json')
    if rec.exists() and truth_path.exists(): return rec, _read_json(truth_path)
    exe, parts, truth, offset = _ffmpeg(), [], dict(pieces=[], episodes=[], excluded=[], fps=FPS), 0
    for i, (kind, f, a, b) in enumerate(plan):
        src, part = media/f, out_dir/f'part{i:02d}.mp4'
        src_fps, _ = _source_info(src)
        cut = f"select='between(n,{a},{b - 1})',setpts=N/FRAME_RATE/TB," if b is not None else ''
        hold = f",tpad=start_duration={HOLD_S}:start_mode=clone" if kind == 'episodes' else ''
        vf = (f"{cut}fps={FPS},scale={SIZE}:{SIZE}:force_original_aspect_ratio=decrease,pad={SIZE}:{SIZE}:(ow-iw)/2:(oh-ih)/2,setsar=1{hold}")
        subprocess.run([exe, '-y', '-loglevel', 'error', '-i', str(src), '-an', '-vf', vf, '-c:v', 'libx264', '-preset', 'fast', '-crf', '20',
                        '-pix_fmt', 'yuv420p', '-r', str(FPS), str(part)], check=True)
        n = _frame_count(part); lead = int(round(HOLD_S * FPS)) if kind == 'episodes' else 0
        truth['pieces'].append(dict(kind=kind, file=f, first=offset, end=offset + n, source_fps=src_fps, source_first=a))
        to_rec = lambda frame: offset + lead + int(round((frame - a) * FPS / src_fps))
        if kind == 'episodes':
            inside = lambda x, y: y > a and (b is None or x < b) # a range of source frames overlaps this piece
            for e in labelled():
                if e.file == f and inside(e.first, e.end):
                    truth['episodes'].append(dict(id=e.id, label=e.label, first=to_rec(e.first), end=to_rec(e.end), source_fps=src_fps, hold=[offset, offset + lead]))
            extra = list(BLOCKERS.get(f, [])) + [(e.first, e.end) for e in EPISODES if e.file == f and e not in labelled()]
            truth['excluded'] += [[max(offset, to_rec(x)), min(offset + n, to_rec(y))] for x, y in extra if inside(x, y)]
        parts.append(part); offset += n
    lst = out_dir/'parts.txt'; lst.write_text(''.join(f"file '{p.name}'\n" for p in parts))
    tmp = rec.with_name('.tmp-' + rec.name)
    subprocess.run([exe, '-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', str(lst), '-c', 'copy', '-movflags', '+faststart', str(tmp)], check=True)
    tmp.replace(rec)
    for p in parts: p.unlink()
    lst.unlink()
    truth['frames'] = offset
    _write_json(truth_path, truth)
    return rec, truth

def _overlap(a0, a1, b0, b1)->int: return max(0, min(a1, b1) - max(a0, b0))

def evaluate(track, truth:dict, json_out=None, compare_dir=None, sheet=None)->dict:
    "Match suggested episodes to the labelled ones and print the figures against the issue's targets."
    from facemimic.episodes import segment_recording
    t0 = time.perf_counter(); eps = segment_recording(track); took = time.perf_counter() - t0
    found = [e for e in eps.expressions()]
    rows, used = [], set()
    for t in truth['episodes']:
        a, b = t['first'], t['end'] - 1 # inclusive
        best = max(range(len(found)), key=lambda i: _overlap(a, b + 1, found[i].onset_frame, found[i].offset_frame + 1), default=None)
        ov = _overlap(a, b + 1, found[best].onset_frame, found[best].offset_frame + 1) if best is not None else 0
        hit = best is not None and ov >= 0.5 * min(b - a + 1, found[best].offset_frame - found[best].onset_frame + 1)
        row = dict(id=t['id'], label=t['label'], first=a, last=b, found=bool(hit))
        if hit:
            e = found[best]; row['episode'] = eps.items.index(e); used.add(best); k = t['source_fps'] / FPS # recording frames -> source frames
            row.update(onset=e.onset_frame, offset=e.offset_frame, onset_error=(e.onset_frame - a) * k, offset_error=(e.offset_frame - b) * k,
                       suggested=e.label, label_ok=e.label in TRUTH_LABELS[t['label']], confidence=e.confidence)
            row['within5'] = abs(row['onset_error']) <= 5 and abs(row['offset_error']) <= 5
        rows.append(row)
    busy = [(t['first'], t['end']) for t in truth['episodes']] + [tuple(x) for x in truth['excluded']]
    false = [e for i, e in enumerate(found) if i not in used and not any(_overlap(x, y, e.onset_frame, e.offset_frame + 1) for x, y in busy)]
    quiet = np.ones(truth['frames'], bool)
    for x, y in busy: quiet[x:y] = False
    speech = np.zeros(truth['frames'], bool)
    for p in truth['pieces']:
        if p['kind'] == 'speech': speech[p['first']:p['end']] = True
    in_speech = [e for e in false if speech[e.onset_frame:e.offset_frame + 1].mean() > 0.5]
    quiet_min, speech_min = quiet.sum() / FPS / 60, (speech & quiet).sum() / FPS / 60
    n, hits = len(rows), [r for r in rows if r['found']]
    print(f"\n{'episode':22s} {'label':10s} {'frames':>9s} {'found':>9s} {'err (src frames)':>17s} suggested")
    for r in rows:
        print(f"{r['id']:22s} {r['label']:10s} {r['first']:4d}-{r['last']:<4d} " + (f"{r['onset']:4d}-{r['offset']:<4d} {r['onset_error']:+7.1f} {r['offset_error']:+7.1f}   {r['suggested']} ({r['confidence']:.2f})" if r['found'] else '     --'))
    print("\nfalse episodes: " + ', '.join(f"{e.onset_frame}-{e.offset_frame} {e.label} ({e.confidence:.2f})" for e in false))
    if sheet:
        from facemimic.episodes import recording_activity
        act = recording_activity(track)
        for e in false: print(f"  {e.onset_frame}-{e.offset_frame}: {_rose(track, act, e)} (blendshape at the apex - resting level)")
        write_sheet(track, truth, false, Path(sheet))
    res = dict(labelled=n, found=len(hits), within5=sum(r['within5'] for r in hits), label_ok=sum(r['label_ok'] for r in hits),
               false=len(false), false_per_min=len(false) / quiet_min, false_speech=len(in_speech), false_per_min_speech=len(in_speech) / max(speech_min, 1e-9),
               quiet_min=quiet_min, speech_min=speech_min, median_abs_error=float(np.median([abs(x) for r in hits for x in (r['onset_error'], r['offset_error'])] or [np.nan])),
               speech_marked=float(np.mean([speech[e.onset_frame:e.offset_frame + 1].mean() for e in eps if e.kind == 'speech'] or [np.nan])),
               segment_s=took)
    print(f"found {res['found']}/{n} ({100 * res['found'] / n:.0f} %); onset and offset within ±5 source frames: {res['within5']}/{n} "
          f"({100 * res['within5'] / n:.0f} %, target >= 90 %); median |boundary error| {res['median_abs_error']:.1f} frames")
    print(f"label accuracy {res['label_ok']}/{len(hits)} ({100 * res['label_ok'] / max(len(hits), 1):.0f} %, target >= 80 %)")
    print(f"false episodes {res['false']} in {quiet_min:.2f} min of neutral and speech = {res['false_per_min']:.1f}/min; "
          f"on speech {res['false_speech']} in {speech_min:.2f} min = {res['false_per_min_speech']:.1f}/min (target <= 1/min)")
    print(f"speech stretches marked: {sum(e.kind == 'speech' for e in eps)}, share of their frames inside speech pieces {res['speech_marked']:.2f}")
    res.update(speed(track))
    if compare_dir is not None: res.update(compare_episodes(track, eps, truth, rows, compare_dir))
    if json_out: Path(json_out).write_text(json.dumps(dict(results=res, episodes=rows), indent=1, default=float))
    return res

def _rose(track, act, e, k:int=3)->str:
    "The `k` blendshapes that rose most over the resting face (`act.rest_at`) at an episode's apex, 'name value-rest'."
    from facemimic.episodes import _channels
    from facemimic.regions import EXPRESSION_CHANNELS
    row = int(np.searchsorted(track.frame_index, e.apex_frame)); cols = _channels(track)
    bs, rest = track.blendshapes[row, cols], act.rest_at(np.array([row]))[0]
    return ', '.join(f"{EXPRESSION_CHANNELS[i]} {bs[i]:.2f}-{rest[i]:.2f}" for i in np.argsort(rest - bs)[:k])

def write_sheet(track, truth:dict, false:list, out:Path):
    "A contact sheet of the false episodes: per episode, the calmest frame of its piece of the recording beside its apex, and what rose."
    import cv2
    from facemimic.episodes import recording_activity
    act = recording_activity(track); rows, want = [], set()
    for e in false:
        p = next(p for p in truth['pieces'] if p['first'] <= e.apex_frame < p['end'])
        calm = p['first'] + int(np.argmin(act.activation[p['first']:p['end']])); rows.append((e, calm, p['file'])); want |= {calm, e.apex_frame}
    cap, got, i = cv2.VideoCapture(str(track.meta['path'])), {}, 0
    while want - set(got):
        ok, f = cap.read()
        if not ok: break
        if i in want: got[i] = cv2.resize(f, (240, 240))
        i += 1
    cap.release(); tiles = []
    for e, calm, file in rows:
        a, b = got[calm].copy(), got[e.apex_frame].copy()
        cv2.putText(a, f'calmest {calm}', (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1)
        cv2.putText(a, Path(file).name[:30], (4, 232), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 255, 255), 1)
        cv2.putText(b, f'{e.onset_frame}-{e.offset_frame} apex {e.apex_frame} {e.label}', (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1)
        tiles.append(np.hstack([a, b]))
    if not tiles: return print("no false episodes: no contact sheet")
    if len(tiles) % 2: tiles.append(np.zeros_like(tiles[0]))
    cv2.imwrite(str(out), np.vstack([np.hstack(tiles[k:k + 2]) for k in range(0, len(tiles), 2)]))
    print(f"contact sheet of the false episodes (calmest frame of the piece | apex): {out}")

def compare_episodes(track, eps, truth:dict, rows:list, folder:Path)->dict:
    "Score each found labelled episode against d0's smile, once from the recording (`imitation_episode=`) and once as the clip `cut_episodes` writes."
    from facemimic.compare import compare
    from facemimic.episodes import cut_episodes
    from facemimic.media import sample_path
    rec, ref, cache = Path(track.meta['path']), sample_path('d0_smile.mp4'), folder/'cache'
    found = [r for r in rows if r['found']]
    clips = dict(zip([r['episode'] for r in found], cut_episodes(rec, eps.__class__([eps[r['episode']] for r in found], eps.info), folder/'clips')))
    diffs = []
    for r, (k, clip) in zip(found, clips.items()):
        a = compare(ref, rec, imitation_episode=eps.clip(r['episode']), cache_dir=cache, progress=False).score
        b = compare(ref, clip, cache_dir=cache, progress=False).score
        diffs.append(a - b); r['score_recording'], r['score_cut'] = a, b
    d = np.abs(diffs)
    print(f"compare(d0 smile, recording, imitation_episode=...) vs the cut clip: {int((d <= 2).sum())}/{len(d)} within 2 points "
          f"(max |difference| {d.max():.2f}, median {np.median(d):.2f})")
    return dict(compare_within2=int((d <= 2).sum()), compare_n=len(d), compare_max_diff=float(d.max()), compare_median_diff=float(np.median(d)))

def speed(track, minutes:float=30.0)->dict:
    "Time `segment_recording` on a track of `minutes` made by tiling the real track's arrays (no video)."
    from facemimic.episodes import segment_recording
    reps = int(np.ceil(minutes * 60 * FPS / track.n_frames)); n = reps * track.n_frames
    long = track.replace(timestamps=np.arange(n) / FPS, frame_index=np.arange(n), face_mask=np.tile(track.face_mask, reps),
                         blendshapes=np.tile(track.blendshapes, (reps, 1)), pose=np.tile(track.pose, (reps, 1)),
                         landmarks=np.zeros((n, 1, 3), np.float32), matrices=np.zeros((n, 1, 1), np.float32), face_count=np.tile(track.face_count, reps),
                         bbox=np.tile(track.bbox, (reps, 1)), crops=np.zeros((n, 1, 1), np.uint8))
    t0 = time.perf_counter(); np.median(long.blendshapes, 0); base = time.perf_counter() - t0
    t0 = time.perf_counter(); eps = segment_recording(long); took = time.perf_counter() - t0
    print(f"30-minute track ({n} frames, tiled): segment_recording {took:.2f} s (target < 5 s) -> {'met' if took < 5 else 'NOT met'}; "
          f"{len(eps.expressions())} episodes; ratio to one np.median pass over the blendshapes {took / base:.0f}x")
    return dict(long_frames=n, long_segment_s=took, long_ratio=took / base)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--media'); ap.add_argument('--data'); ap.add_argument('--json')
    ap.add_argument('--build-only', action='store_true', help='only write the recording and extract its track')
    ap.add_argument('--speech-cut', type=int, default=1, choices=(1, 2), help="which speech cut of each speaker goes between the clips (2: a recording with speech the rules were not set on)")
    ap.add_argument('--recipe', choices=('files', 'episodes'), default='files', help="'files': every file with labelled episodes whole (default; "
                    "their unlabelled expressions count as false episodes); 'episodes': each labelled episode cut out with MARGIN_S seconds either side")
    ap.add_argument('--sheet', metavar='PNG', help='also write a contact sheet of the false episodes and print what rose in each (to check by eye whether one is an unlabelled expression)')
    ap.add_argument('--no-compare', action='store_true', help='skip comparing episodes from the recording with their cut clips (extracts them once)')
    args = ap.parse_args()
    media, data = media_dir(args.media), data_dir(args.data)/'segment'
    rec, truth = build_recording(media, data, args.speech_cut, args.recipe)
    print(f"recording {rec} ({truth['frames']} frames, {truth['frames'] / FPS / 60:.2f} min, {len(truth['episodes'])} labelled episodes)")
    from facemimic.extraction import extract
    t0 = time.perf_counter(); track = extract(rec, cache_dir=data/'cache', progress=False)
    print(f"track: {track} ({time.perf_counter() - t0:.1f} s, cached after the first run)")
    if args.build_only: return
    evaluate(track, truth, args.json, None if args.no_compare else data, args.sheet)

if __name__ == '__main__': main()
