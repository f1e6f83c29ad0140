"""Without the app extra (ipywidgets, jupyter_bokeh), `facemimic.explore` says how to install it."""
from __future__ import annotations
import subprocess, sys, textwrap
import pytest

@pytest.mark.parametrize('missing', ['ipywidgets', 'jupyter_bokeh'])
def test_explore_without_the_app_extra_says_what_to_install(missing):
    code = textwrap.dedent(f"""
        import sys
        sys.modules[{missing!r}] = None # `import {missing}` now raises ImportError
        import facemimic
        from facemimic.errors import FacemimicError, MissingExtraError
        try: facemimic.explore('clip.mp4')
        except MissingExtraError as e:
            assert isinstance(e, FacemimicError) and isinstance(e, ImportError)
            print(e)
        else: raise SystemExit('no error')
    """)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'pip install "facemimic[app]"' in r.stdout and missing in r.stdout
