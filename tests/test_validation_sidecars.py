"""The validation benchmark's labelled set read from annotation sidecars (issue 18): `validation_set.annotated_episodes`
turns an annotator's episodes file into the episodes, neutral stretches and blockers that `plan_episodes` cuts.

Run it alone with `pytest -q tests/test_validation_sidecars.py`. It annotates `sample_media/d19_smiles.mp4` (two smiles,
~5-30 and ~80-100, neutral between) the way a person would in the annotator, then plans the episodes' cuts from it.
"""
from __future__ import annotations
import shutil, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'benchmarks'))
import validation_set as vs

@pytest.fixture(scope='module')
def annotated(sample_media, tmp_path_factory)->Path:
    "d19_smiles.mp4 and its sidecar: the found smile accepted, the first smile added, a neutral stretch, a speech stretch, a blink."
    from facemimic.episodes import segment_recording, sidecar_path
    from facemimic.extraction import extract
    folder = tmp_path_factory.mktemp('annotated')
    rec = folder/'d19_smiles.mp4'; shutil.copy(sample_media/'d19_smiles.mp4', rec)
    eps = segment_recording(extract(rec, progress=False))
    assert [e.label for e in eps.expressions()] == ['smile'] # the second smile (~78-100); the first starts with the clip
    eps.accept(0)
    eps.add(5, 25, 'smile'); eps.mark_neutral(27, 39); eps.add(44, 52, 'speech', 'speech'); eps.add(108, 112, 'eyes-closed')
    eps.save(sidecar_path(rec), annotator='rater 1')
    return sidecar_path(rec)

def test_annotated_episodes(annotated):
    episodes, neutral, blockers = vs.annotated_episodes([annotated], {str(annotated): 'd19_m'})
    rec = str(annotated.parent.resolve()/'d19_smiles.mp4')
    assert [(e.id, e.label, e.person, e.first, e.file) for e in episodes][0] == ('d19_smiles.smile1', 'smile', 'd19_m', 5, rec)
    assert [e.id for e in episodes] == ['d19_smiles.smile1', 'd19_smiles.smile2'] and episodes[0].end == 26 # end exclusive
    assert 'rater 1' in episodes[0].origin
    assert neutral == {rec: [(27, 40)]}
    assert blockers == {rec: [(44, 53), (108, 113)]} # the speech and the unlabelled blink: loose cuts stop there
    assert vs.annotated_episodes([annotated])[0][0].person == 'd19_smiles' # by default, the recording's name

def test_plan_annotated_episodes(annotated, tmp_path):
    "The annotated episodes get an apex, cuts that stop at their neighbours, and delay frames from the marked neutral stretch."
    labelled, neutral, blockers = vs.annotated_episodes([annotated])
    first, second = vs.plan_episodes(annotated.parent, tmp_path, 1, labelled, neutral, blockers)
    assert 5 <= first.apex < 26 and second.first <= second.apex < second.end
    assert first.loose == (0, 44) # a second before the onset (the clip's start), up to the speech stretch
    assert second.loose[0] >= 53 and second.loose[1] <= 108 # after the speech, before the blink
    assert first.neutral[6] == list(range(27, 33)) and first.neutral[15] is None # from the 13 marked neutral frames: 6, not 15
    assert set(first.cuts) == {'loose', 'tight', 'to_apex', 'from_apex'}
