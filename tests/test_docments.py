"Every public function, method and class has a one-line docstring and docments for its parameters and return value (issue 7)."
import importlib, inspect
import pytest
from fastcore.docments import docments

MODULES = ['errors', 'io', 'geometry', 'topology', 'track', 'backends', 'backends.mediapipe', 'media', 'extraction', 'landmarks', 'vocab', 'regions', 'ibug68', 'features', 'segment', 'similarity', 'compare',
           'expressions', 'streaming', 'plots', 'report', 'explorer', 'camera', 'app', 'cli']

def gaps_of(modname:str, qual:str, f)->list:
    "What the docstring or docments of `f` lack."
    gaps = []
    if isinstance(f, property): return [] if f.fget.__doc__ else ['property without docstring']
    own = f.__doc__
    if not own and not qual.endswith('__init__'): gaps.append('no docstring')
    elif own and len(own.strip().splitlines()) > 1: gaps.append('docstring longer than one line')
    if isinstance(f, type): return gaps
    try: sig = inspect.signature(f)
    except (ValueError, TypeError): return gaps
    d = docments(f, full=True)
    missing = [p for p, v in d.items() if p not in ('self', 'cls', 'return') and p in sig.parameters
               and sig.parameters[p].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) and not v['docment']]
    if missing: gaps.append('no docment for ' + ', '.join(missing))
    try: src = inspect.getsource(f)
    except (OSError, TypeError): src = ''
    ret = d.get('return')
    if ('return ' in src or 'yield' in src) and f.__name__ != '__init__' and (ret is None or not ret['docment']):
        gaps.append('no docment for the return value')
    return gaps

def public_objects(modname:str):
    mod = importlib.import_module(f'facemimic.{modname}')
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if getattr(obj, '__module__', None) != mod.__name__: continue
        if inspect.isfunction(obj): yield name, obj
        elif inspect.isclass(obj):
            yield name, obj
            if '__init__' in vars(obj) and not hasattr(obj, '__dataclass_fields__'): yield f'{name}.__init__', obj.__init__
            for k, v in vars(obj).items():
                if k.startswith('_'): continue
                if inspect.isfunction(v) and v.__name__ == k: yield f'{name}.{k}', v
                elif isinstance(v, property) and v.fget is not None: yield f'{name}.{k}', v # a property needs its docstring only

@pytest.mark.parametrize('modname', MODULES)
def test_public_api_is_documented(modname):
    problems = [f'{modname}.{qual}: {g}' for qual, obj in public_objects(modname) for g in gaps_of(modname, qual, obj)]
    assert not problems, '\n'.join(problems)
