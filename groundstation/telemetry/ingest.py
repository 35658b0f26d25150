"""Receiving off the caller's thread: frames are queued, then decoded, stored, checked on a worker.

The radio or GUI thread calls `submit` and never waits for the database. Queued batches are
coalesced into one transaction (bounded by `max_batch_frames`). A failed write is retried with the
same frames after `retry_delay_s` (they stay in memory: nothing is dropped); `flush` waits until
everything submitted so far is durable. Listeners run on the worker thread: a GUI must hand them
to its own thread.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

from groundstation.telemetry.frames import TelemetryFrame
from groundstation.telemetry.service import Ingested, TelemetryService

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH_FRAMES = 500
DEFAULT_RETRY_DELAY_S = 1.0


class TelemetryIngestor:
    def __init__(
        self,
        service: TelemetryService,
        *,
        on_ingested: Callable[[Ingested], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        max_batch_frames: int = DEFAULT_MAX_BATCH_FRAMES,
        retry_delay_s: float = DEFAULT_RETRY_DELAY_S,
    ) -> None:
        if max_batch_frames < 1:
            raise ValueError(f"max_batch_frames must be >= 1, got {max_batch_frames}")
        self.service = service
        self.on_ingested = on_ingested
        self.on_error = on_error
        self.max_batch_frames = max_batch_frames
        self.retry_delay_s = retry_delay_s
        self._queue: deque[TelemetryFrame] = deque()
        self._cond = threading.Condition()
        self._submitted = 0
        self._stored = 0
        self._closing = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telemetry-ingest", daemon=True)
        self._thread.start()

    @property
    def pending_frames(self) -> int:
        with self._cond:
            return self._submitted - self._stored

    def submit(self, frames: Sequence[TelemetryFrame]) -> None:
        """Queue frames for storage; returns at once."""
        with self._cond:
            if self._closing:
                raise RuntimeError("ingestor is closed")
            self._queue.extend(frames)
            self._submitted += len(frames)
            self._cond.notify_all()

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every frame submitted so far is stored; False on timeout."""
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._stored >= target, timeout=timeout_s)

    def close(self, timeout_s: float | None = None) -> bool:
        """Store what is queued, then stop the worker; False if it did not finish in time."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _take(self) -> list[TelemetryFrame] | None:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._queue) or self._closing)
            if not self._queue:
                return None  # closing and drained
            count = min(len(self._queue), self.max_batch_frames)
            # Frames stay queued until stored: a crash of this thread loses nothing it was given.
            return [self._queue[i] for i in range(count)]

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            decoded = self.service.decoder.decode(batch)
            try:
                receipt = self.service.archive.write(decoded)
            except Exception as exc:  # the database is busy, gone or full: keep the frames, retry
                log.warning("telemetry write failed (%s); retrying in %.1f s", exc, self.retry_delay_s)
                if self.on_error is not None:
                    self.on_error(exc)
                self._stop.wait(self.retry_delay_s)
                continue
            with self._cond:
                for _ in batch:
                    self._queue.popleft()
                self._stored += len(batch)
                self._cond.notify_all()
            try:  # stored: never write these frames again, whatever happens below
                ingested = self.service.evaluate(receipt, decoded)
                if self.on_ingested is not None:
                    self.on_ingested(ingested)
            except Exception:
                log.exception("telemetry evaluation after storage failed")
