"""Time `compare` on two cached tracks of about 10 s each, against a baseline run in the same process.

The issue's goal: under 0.3 s for two ~10 s tracks. The baseline is the bare DTW of one blendshape column
(dtw-python, the cheapest meaningful comparison), so the ratio says what our measures cost on top of it.
Usage: python benchmarks/bench_compare.py [REFERENCE] [IMITATION]
"""
import sys, time
import numpy as np
from dtw import dtw
from facemimic.compare import compare
from facemimic.landmarks import extract
from facemimic.media import sample_path

def best_of(fn, n=5):
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))

def main():
    here = sample_path('').parent
    shared = here.parent / 'shared' / 'media'
    ref_path = sys.argv[1] if len(sys.argv) > 1 else (shared / 'd19.mp4' if (shared / 'd19.mp4').exists() else sample_path('d19_smiles.mp4'))
    imi_path = sys.argv[2] if len(sys.argv) > 2 else (shared / 'd18.mp4' if (shared / 'd18.mp4').exists() else sample_path('d0_smile.mp4'))
    ref, imi = extract(ref_path), extract(imi_path) # cached after the first run
    print(f"reference {ref}\nimitation {imi}")
    col = ref.blendshape_names.index('mouthSmileLeft')
    base = best_of(lambda: dtw(ref.blendshapes[:, col], imi.blendshapes[:, col]))
    ours = best_of(lambda: compare(ref, imi))
    print(f"baseline (bare DTW of one blendshape): best {1000 * base[0]:.1f} ms, median {1000 * base[1]:.1f} ms")
    print(f"compare (all measures):                best {1000 * ours[0]:.1f} ms, median {1000 * ours[1]:.1f} ms")
    print(f"ratio compare / baseline: {ours[1] / base[1]:.1f}x; goal: compare < 300 ms -> {'met' if ours[1] < 0.3 else 'NOT met'}")

if __name__ == '__main__': main()
