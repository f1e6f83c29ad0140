"""`facemimic identity train|score` end to end on the sample clips, its one-line errors, and models that reload to the same log-probabilities."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

pytest.importorskip('flowjax')
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT/'sample_media'

def run(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'facemimic.cli', 'identity', *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

def design(tmp_path):
    rows = ['clip,participant,start,end', f'{SAMPLE/"d18_pucker.mp4"},d18,,', f'{SAMPLE/"d18_open_mouth.mp4"},d18,,',
            f'{SAMPLE/"d19_smiles.mp4"},d19,0,2', f'{SAMPLE/"d19_smiles.mp4"},d19,2,']
    (tmp_path/'design.csv').write_text('\n'.join(rows) + '\n')
    return tmp_path/'design.csv'

def test_train_and_score(tmp_path):
    r = run('train', design(tmp_path), '--out', tmp_path/'models', '--kind', 'gaussian', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'models'/'identity_models.json').is_file()
    r = run('score', tmp_path/'models', SAMPLE/'d18_pucker.mp4', SAMPLE/'d19_smiles.mp4', '--out', tmp_path/'scores', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path/'scores').iterdir()) == sorted(['matrix.csv', 'windows.csv', 'identity.xlsx', 'matrix.png', 'log_prob.png', 'latent_norm.png', 'loss_curves.png'])
    import pandas as pd
    m = pd.read_csv(tmp_path/'scores'/'matrix.csv').set_index('participant')
    assert list(m.idxmax()) == ['d18', 'd19'] # each clip is most likely under its own participant's model
    assert 'd18_pucker.mp4: most like d18' in r.stdout

@pytest.mark.parametrize('case, args, words', [
    ('one clip', ['train', 'd18=' + str(SAMPLE/'d18_pucker.mp4'), 'd19=' + str(SAMPLE/'d19_smiles.mp4'), '--out', 'm'], 'only one clip'),
    ('too few frames', ['train', 'd0=' + str(SAMPLE/'d0_smile.mp4'), 'd0=' + str(SAMPLE/'d18_pucker.mp4'), '--out', 'm', '--window', '2'], 'training windows'),
    ('not a models folder', ['score', str(SAMPLE), str(SAMPLE/'d0_smile.mp4'), '--out', 's'], 'is not a models folder'),
    ('no participant', ['train', str(SAMPLE/'d0_smile.mp4'), str(SAMPLE/'d18_pucker.mp4'), '--out', 'm'], 'PARTICIPANT=CLIP'),
    ('one video, not a design', ['train', str(SAMPLE/'d0_smile.mp4'), '--out', 'm'], 'is not a readable CSV file'),
])
def test_errors_are_one_line(tmp_path, case, args, words):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2, (case, r.stderr)
    lines = [l for l in r.stderr.splitlines() if l.startswith('facemimic')]
    assert len(lines) == 1 and words in lines[0] and 'Traceback' not in r.stderr, r.stderr
    assert not (tmp_path/'m').exists() or not any((tmp_path/'m').iterdir()) # nothing half-written

def test_flow_reloads_to_the_same_log_probs(tmp_path):
    from facemimic.extraction import extract
    from facemimic.identity import IdentityModel, load_model
    t = extract(SAMPLE/'d19_smiles.mp4', progress=False)
    m = IdentityModel('flow', participant='d19', flow_layers=1, nn_width=8, knots=4, max_epochs=10, patience=3).fit(t)
    back = load_model(m.save(tmp_path/'flow'))
    np.testing.assert_array_equal(back.log_prob(t), m.log_prob(t))
    np.testing.assert_array_equal(back.latent_norm(t), m.latent_norm(t))

def test_import_stays_cheap():
    code = "import sys, facemimic, facemimic.identity; print(any(m.split('.')[0] in ('jax', 'flowjax', 'mediapipe') for m in sys.modules))"
    r = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    assert r.stdout.strip() == 'False', r.stderr

@pytest.mark.skipif(not Path('/proc/self/maps').exists(), reason='counts memory maps in /proc (Linux)')
def test_many_flows_in_one_process_reuse_their_compiled_code():
    "A compilation per flow kept its code mapped (about 700 maps a flow): a process that trained about 90 flows crashed."
    code = """if 1:
        import numpy as np
        from facemimic.identity import _DEFAULTS, _flow_latent, _train_flow
        maps = lambda: sum(1 for _ in open('/proc/self/maps'))
        rng, grown = np.random.default_rng(0), []
        for i, n in enumerate([200, 90, 330, 150, 260]):
            before = maps()
            flow, _ = _train_flow(rng.normal(size=(n, 6)).astype(np.float32), rng.normal(size=(n // 4 + 3, 6)).astype(np.float32),
                                  _DEFAULTS | dict(max_epochs=3, seed=i, flow_layers=1, nn_width=8, knots=4), False)
            _flow_latent(flow, rng.normal(size=(17 + i, 6))) # scoring a clip (its latent norms) compiles nothing new either
            grown.append(maps() - before)
        print(grown)"""
    r = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    grown = eval(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else pytest.fail(r.stderr[-2000:])
    assert max(grown[2:]) < 200, grown # the first flows compile; later ones add at most a padded shape (about 100 maps)

def test_padded_compiled_log_prob_and_latent_equal_the_flows_own():
    import jax, jax.numpy as jnp
    from facemimic.identity import _DEFAULTS, _flow_latent, _flow_log_prob, _train_flow
    rng = np.random.default_rng(1)
    flow, _ = _train_flow(rng.normal(size=(150, 5)).astype(np.float32), rng.normal(size=(40, 5)).astype(np.float32),
                          _DEFAULTS | dict(max_epochs=3, flow_layers=1, nn_width=8, knots=4), False)
    for n in (1, 63, 64, 65, 200):
        Z = rng.normal(size=(n, 5))
        np.testing.assert_allclose(_flow_log_prob(flow, Z), np.asarray(flow.log_prob(jnp.asarray(Z, jnp.float32))), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(_flow_latent(flow, Z), np.asarray(jax.vmap(flow.bijection.inverse)(jnp.asarray(Z, jnp.float32))), rtol=1e-5, atol=1e-5)
