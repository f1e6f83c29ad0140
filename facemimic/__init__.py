"facemimic: measure how well a person imitates a facial expression."
__version__ = "0.1.0"
# `import facemimic` stays cheap (no NumPy, OpenCV or MediaPipe): the public names load on first use.
from .errors import FacemimicError, MediaError, NoFaceError, ModelError, OptionError, TooShortError, MissingExtraError
from .result import MimicResult # NumPy only

def _report(self, directory, # folder to write into (made if missing)
            **kwargs, # passed to `write_report` (dpi, pngs)
           )->dict: # {file name: Path written}
    "Write the report files to `directory` (see `facemimic.report.write_report`)."
    from .report import write_report
    return write_report(self, directory, **kwargs)

# The report is a surface above `result`, so `result` cannot import it; the package wires the method here.
MimicResult.report = _report

def analyze(media, # a video or image file
            out_dir, # folder to write the results into (created if needed)
            **kwargs, # options of `facemimic.expressions.analyze` (smile, every, video, ...)
           )->dict: # the summary (also written to summary.json)
    "Analyse one clip into `out_dir`: its tables, exports and summary page (`expressions.analyze` with the report's page writer)."
    from .expressions import analyze as run
    from .report import write_analysis_page # the page is the report's, and `expressions` cannot import the report
    return run(media, out_dir, **{'writer': write_analysis_page, **kwargs})

_LAZY = {'FaceTrack': 'track', 'extract': 'extraction', 'load_track': 'track',
         'compare': 'compare', 'load_result': 'compare', 'explore': 'explorer',
         'write_side_by_side': 'video', 'batch': 'cohort',
         'segment_recording': 'episodes', 'load_episodes': 'episodes', 'annotate': 'annotate',
         'live': 'camera', 'practice': 'camera'}

def __getattr__(name):
    "The public names (`extract`, `compare`, `explore`, ...) are imported on first use."
    if name in _LAZY:
        from importlib import import_module
        value = getattr(import_module(f'.{_LAZY[name]}', __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

def __dir__(): return sorted(list(globals()) + list(_LAZY))
