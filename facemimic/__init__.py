"facemimic: measure how well a person imitates a facial expression."
__version__ = "0.1.0"
from .errors import FacemimicError, MediaError, NoFaceError, ModelError, OptionError, TooShortError
from .landmarks import FaceTrack, extract, load_track
from .compare import MimicResult, compare, load_result

def __getattr__(name):
    "`facemimic.explore` is imported on first use: the widget libraries take most of a second to load."
    if name == 'explore':
        from .explorer import explore
        return explore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
