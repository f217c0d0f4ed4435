# PyInstaller runtime hook. faster-whisper imports PyAV at module level only to decode audio files; the
# app hands it 16 kHz arrays (assistant.core.speech does its own file reading), so the bundle leaves PyAV
# (about 100 MB of FFmpeg libraries) out and puts this placeholder in its place.
import sys
import types


def _missing(name):
    if name.startswith("__"):  # introspection (inspect, typing) asks for dunders: there are none
        raise AttributeError(name)
    raise ImportError(f"PyAV is not part of this bundle (av.{name}); audio files are read with soundfile")


if "av" not in sys.modules:
    placeholder = types.ModuleType("av")
    placeholder.__getattr__ = _missing  # type: ignore[attr-defined]
    sys.modules["av"] = placeholder
