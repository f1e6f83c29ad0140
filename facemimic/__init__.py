"facemimic: measure how well a person imitates a facial expression."
__version__ = "0.1.0"
from .errors import FacemimicError, MediaError, NoFaceError, ModelError, OptionError, TooShortError
from .landmarks import FaceTrack, extract, load_track
from .compare import MimicResult, compare, load_result
