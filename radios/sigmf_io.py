"""SigMF recordings: record RX to `.sigmf-data`/`.sigmf-meta`, and replay one as an RX device.

Recording writes samples as they come (cf32_le) and the metadata on `close()`: sample rate,
one capture segment per tuning and after every gap (overrun), each with its frequency and the UTC
time of its first sample, and the annotations given. Times are explicit (the caller's clock):
nothing here reads the system time.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import sigmf
import sigmf.error
from sigmf import SigMFFile
from sigmf.sigmffile import fromfile

from radios.errors import DeviceConfigError, DeviceError
from radios.ring import ComplexArray, RxBlock
from radios.sdr import RadioSettings, StreamingRadio

DATATYPE = "cf32_le"
REPLAY_BLOCK_SAMPLES = 16_384
SIGMF_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
RECORDER = "groundstation"


def sigmf_paths(path: str | Path) -> tuple[Path, Path]:
    """(data, meta) paths for a recording named with or without a SigMF extension."""
    base = Path(path)
    if base.suffix in {".sigmf-data", ".sigmf-meta", ".sigmf"}:
        base = base.with_suffix("")
    return base.with_suffix(".sigmf-data"), base.with_suffix(".sigmf-meta")


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"recording time must be timezone-aware (got naive {moment.isoformat()})")
    return moment.astimezone(UTC).strftime(SIGMF_DATETIME_FORMAT)


@dataclass(frozen=True)
class Annotation:
    start_index: int
    sample_count: int
    label: str
    comment: str = ""
    freq_lower_edge_hz: float | None = None
    freq_upper_edge_hz: float | None = None


class SigmfRecorder:
    """Writes received blocks to a SigMF recording; `close()` writes and validates the metadata."""

    def __init__(
        self,
        path: str | Path,
        *,
        sample_rate_hz: float,
        frequency_hz: float,
        start_time: datetime,
        description: str = "",
        hardware: str = "",
        author: str = "",
    ) -> None:
        self.data_path, self.meta_path = sigmf_paths(path)
        self.sample_rate_hz = sample_rate_hz
        self._global = {
            sigmf.DATATYPE_KEY: DATATYPE,
            sigmf.SAMPLE_RATE_KEY: float(sample_rate_hz),
            sigmf.RECORDER_KEY: RECORDER,
        }
        for key, value in (
            (sigmf.DESCRIPTION_KEY, description),
            (sigmf.HW_KEY, hardware),
            (sigmf.AUTHOR_KEY, author),
        ):
            if value:
                self._global[key] = value
        self._captures: list[tuple[int, float, datetime]] = [(0, float(frequency_hz), start_time)]
        _iso(start_time)
        self._annotations: list[Annotation] = []
        self._file: IO[bytes] | None = self.data_path.open("wb")
        self.samples_written = 0
        self._next_rx_index: int | None = None

    @property
    def frequency_hz(self) -> float:
        return self._captures[-1][1]

    def time_at(self, sample_index: int) -> datetime:
        """UTC time of a sample in the file (from the capture segment holding it)."""
        start, _, moment = next(c for c in reversed(self._captures) if c[0] <= sample_index)
        return moment + timedelta(seconds=(sample_index - start) / self.sample_rate_hz)

    def _new_capture(self, frequency_hz: float, moment: datetime) -> None:
        if self._captures[-1][0] == self.samples_written:
            self._captures.pop()  # an empty segment is replaced, never written
        self._captures.append((self.samples_written, float(frequency_hz), moment))

    def retune(self, frequency_hz: float) -> None:
        """The samples written from now on were received at `frequency_hz`."""
        self._new_capture(frequency_hz, self.time_at(self.samples_written))

    def write(self, samples: RxBlock | npt.ArrayLike) -> None:
        """Append samples. An `RxBlock` after a gap (overrun) starts a new capture at the true time."""
        if self._file is None:
            raise DeviceError(f"{self.data_path}: recording already closed")
        if isinstance(samples, RxBlock):
            expected = self._next_rx_index
            gap = samples.dropped_before if expected is None else samples.start_index - expected
            if gap > 0 and self.samples_written > 0:
                moment = self.time_at(self.samples_written) + timedelta(seconds=gap / self.sample_rate_hz)
                self._new_capture(self.frequency_hz, moment)
                self.annotate(self.samples_written, 0, "gap", f"{gap} samples lost to an overrun before this")
            self._next_rx_index = samples.end_index
            iq = samples.iq
        else:
            iq = np.asarray(samples, dtype=np.complex64).ravel()
        self._file.write(np.ascontiguousarray(iq, dtype="<c8").tobytes())
        self.samples_written += int(iq.size)

    def annotate(
        self,
        start_index: int,
        sample_count: int,
        label: str,
        comment: str = "",
        *,
        freq_lower_edge_hz: float | None = None,
        freq_upper_edge_hz: float | None = None,
    ) -> None:
        self._annotations.append(
            Annotation(start_index, sample_count, label, comment, freq_lower_edge_hz, freq_upper_edge_hz)
        )

    def close(self) -> Path:
        """Finish the data file and write the metadata; returns the `.sigmf-meta` path."""
        if self._file is None:
            return self.meta_path
        self._file.close()
        self._file = None
        handle = SigMFFile(data_file=str(self.data_path), global_info=dict(self._global))
        for start, frequency_hz, moment in self._captures:
            handle.add_capture(
                start, metadata={sigmf.FREQUENCY_KEY: frequency_hz, sigmf.DATETIME_KEY: _iso(moment)}
            )
        for note in sorted(self._annotations, key=lambda a: a.start_index):
            metadata: dict[str, object] = {sigmf.LABEL_KEY: note.label}
            if note.comment:
                metadata[sigmf.COMMENT_KEY] = note.comment
            if note.freq_lower_edge_hz is not None and note.freq_upper_edge_hz is not None:
                metadata[sigmf.FREQ_LOWER_EDGE_KEY] = note.freq_lower_edge_hz
                metadata[sigmf.FREQ_UPPER_EDGE_KEY] = note.freq_upper_edge_hz
            handle.add_annotation(note.start_index, note.sample_count or None, metadata=metadata)
        handle.tofile(str(self.meta_path), overwrite=True)  # validates against the SigMF schema
        return self.meta_path

    def __enter__(self) -> SigmfRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_recording(path: str | Path) -> SigMFFile:
    """Read and validate a recording's metadata; `DeviceConfigError` naming the file if it can't."""
    _, meta_path = sigmf_paths(path)
    try:
        # Parsed here first: sigmf 1.14's fromfile leaks its file handle on malformed JSON.
        json.loads(meta_path.read_text(encoding="utf-8"))
        return fromfile(str(meta_path))
    except (OSError, ValueError, KeyError, sigmf.error.SigMFError) as exc:
        raise DeviceConfigError(f"{meta_path}: not a readable SigMF recording ({exc})") from None


class SigmfRadio(StreamingRadio):
    """Replays a SigMF recording as RX. Receive-only; tuning within the recorded band shifts it.

    As fast as the consumer reads (lossless) by default; `realtime=True` paces at the sample rate.
    When the recording ends the RX thread stops and `read` returns empty blocks (`finished` is True).
    """

    def __init__(self, path: str | Path, *, realtime: bool = False, rx_buffer_s: float = 2.0) -> None:
        self.recording = open_recording(path)
        rate = self.recording.get_global_field(sigmf.SAMPLE_RATE_KEY)
        captures = self.recording.get_captures()
        if not rate or not captures:
            raise DeviceConfigError(
                f"{sigmf_paths(path)[1]}: recording lacks {sigmf.SAMPLE_RATE_KEY} or captures"
            )
        self.recorded_frequency_hz = float(captures[0].get(sigmf.FREQUENCY_KEY, 0.0))
        settings = RadioSettings(float(rate), self.recorded_frequency_hz or 1.0, rx_buffer_s=rx_buffer_s)
        super().__init__(f"sigmf:{sigmf_paths(path)[1]}", settings)
        self.realtime = realtime
        self.sample_count = len(self.recording) if self.recording.data_file is not None else 0
        self._position = 0
        self._phase_rad = 0.0
        self._t0_s = 0.0
        self.finished = False

    @property
    def start_time(self) -> datetime | None:
        text = self.recording.get_captures()[0].get(sigmf.DATETIME_KEY)
        return None if text is None else datetime.strptime(text, SIGMF_DATETIME_FORMAT).replace(tzinfo=UTC)

    def _apply_frequency(self, frequency_hz: float) -> None:
        if (
            self.recorded_frequency_hz
            and abs(frequency_hz - self.recorded_frequency_hz) > self.settings.sample_rate_hz / 2
        ):
            raise DeviceConfigError(
                f"{self.name}: {frequency_hz:g} Hz is outside the recorded band "
                f"{self.recorded_frequency_hz:g} ± {self.settings.sample_rate_hz / 2:g} Hz"
            )

    def tune_tx(self, frequency_hz: float) -> None:
        raise DeviceError(f"{self.name}: a recording is receive-only")

    def transmit(self, iq: npt.ArrayLike) -> None:
        raise DeviceError(f"{self.name}: a recording is receive-only")

    def _start_device(self) -> None:
        self._position = 0
        self._phase_rad = 0.0
        self.finished = False
        self._t0_s = time.monotonic()

    def _shift(self, iq: ComplexArray) -> ComplexArray:
        offset_hz = (
            self.recorded_frequency_hz - self.settings.frequency_hz if self.recorded_frequency_hz else 0.0
        )
        if offset_hz == 0.0:
            return iq
        step = 2.0 * math.pi * offset_hz / self.settings.sample_rate_hz
        phase = self._phase_rad + step * np.arange(iq.size)
        self._phase_rad = float((self._phase_rad + step * iq.size) % (2.0 * math.pi))
        shifted: ComplexArray = (iq * np.exp(1j * phase)).astype(np.complex64)
        return shifted

    def _run_once(self) -> bool:
        if self._position >= self.sample_count:
            self.finished = True
            return False
        if self.realtime:
            due_s = self._t0_s + self._position / self.settings.sample_rate_hz
            wait_s = due_s - time.monotonic()
            if wait_s > 0 and self._stop.wait(wait_s):
                return False
        count = min(REPLAY_BLOCK_SAMPLES, self.sample_count - self._position)
        raw = np.asarray(self.recording.read_samples(self._position, count))
        iq = self._shift(raw.astype(np.complex64).ravel())
        if self.realtime:
            self.ring.write(iq)
        elif self.ring.write(iq, wait=True) < iq.size:
            return False  # stopped while waiting for room
        self._position += count
        return True
