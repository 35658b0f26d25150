"""WAV files for the audio modem: read any PCM/float WAV as float32 mono, write 16-bit mono PCM."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.io import wavfile


class WavError(ValueError):
    """A file that is not a readable WAV (the message names the file)."""


def read_wav(path: str | Path) -> tuple[npt.NDArray[np.float32], int]:
    """(samples in [-1, 1] of the first channel, sample rate in Hz)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # unknown chunks are harmless
            rate, data = wavfile.read(str(path))
    except (OSError, ValueError, EOFError) as exc:
        raise WavError(f"{path}: not a readable WAV file ({exc})") from exc
    if data.ndim == 2:
        data = data[:, 0]
    if data.dtype == np.uint8:
        samples = (data.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.integer):
        samples = data.astype(np.float32) / float(-np.iinfo(data.dtype).min)
    elif np.issubdtype(data.dtype, np.floating):
        samples = data.astype(np.float32)
    else:
        raise WavError(f"{path}: unsupported WAV sample type {data.dtype}")
    return samples, int(rate)


def write_wav16(path: str | Path, samples: npt.ArrayLike, sample_rate_hz: int) -> None:
    """16-bit mono PCM; samples are full scale at +-1.0 and clipped beyond."""
    x = np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0)
    wavfile.write(str(path), int(sample_rate_hz), np.rint(x * 32767.0).astype(np.int16))
