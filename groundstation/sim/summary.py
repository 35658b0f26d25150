"""What a simulation run did, counted as it ran, and its one-screen summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from groundstation.commanding import CommandRecord, CommandState
from groundstation.telemetry.alarms import AlarmEvent, AlarmEventKind, AlarmKind
from groundstation.telemetry.archive import TelemetryArchive

if TYPE_CHECKING:
    from groundstation.sim.simulation import SimulationConfig


@dataclass(frozen=True)
class CommandOutcome:
    id: int
    node: str
    summary: str
    state: str
    reason: str | None
    attempts: int


@dataclass(frozen=True)
class SimulationSummary:
    start: datetime
    end: datetime
    nodes: int
    seed: int
    passes_worked: int
    passes_with_data: int
    uplink_frames_sent: int
    uplink_frames_received: int
    downlink_frames_sent: int
    downlink_frames_received: int
    frames_without_path: int
    telemetry_frames_archived: int
    telemetry_samples_archived: int
    commands: tuple[CommandOutcome, ...]
    alarms_raised: tuple[tuple[str, int], ...]  # (parameter or 'stale PACKET'/severity, count)

    @property
    def frames_sent(self) -> int:
        return self.uplink_frames_sent + self.downlink_frames_sent

    @property
    def frames_received(self) -> int:
        return self.uplink_frames_received + self.downlink_frames_received

    @staticmethod
    def _rate(sent: int, received: int) -> float:
        return 0.0 if sent == 0 else 1.0 - received / sent

    @property
    def frame_error_rate(self) -> float:
        return self._rate(self.frames_sent, self.frames_received)

    def states(self) -> Counter[str]:
        return Counter(c.state for c in self.commands)

    def rejections(self) -> Counter[str]:
        return Counter(c.reason or "?" for c in self.commands if c.state == CommandState.REJECTED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "nodes": self.nodes,
            "seed": self.seed,
            "passes_worked": self.passes_worked,
            "passes_with_data": self.passes_with_data,
            "frames": {
                "uplink_sent": self.uplink_frames_sent,
                "uplink_received": self.uplink_frames_received,
                "downlink_sent": self.downlink_frames_sent,
                "downlink_received": self.downlink_frames_received,
                "frame_error_rate": round(self.frame_error_rate, 6),
                "without_path": self.frames_without_path,
            },
            "telemetry": {
                "frames": self.telemetry_frames_archived,
                "samples": self.telemetry_samples_archived,
            },
            "commands": [c.__dict__ for c in self.commands],
            "alarms_raised": dict(self.alarms_raised),
        }

    def text(self) -> str:
        hours = (self.end - self.start).total_seconds() / 3600.0
        lines = [
            f"simulated {hours:g} h from {self.start.isoformat()} ({self.nodes} nodes, seed {self.seed})",
            f"passes worked: {self.passes_worked} ({self.passes_with_data} with frames received)",
            f"frames sent: {self.frames_sent} (uplink {self.uplink_frames_sent}, downlink "
            f"{self.downlink_frames_sent}); received: {self.frames_received}",
            f"frame error rate: {self.frame_error_rate:.2%} (uplink "
            f"{self._rate(self.uplink_frames_sent, self.uplink_frames_received):.2%}, downlink "
            f"{self._rate(self.downlink_frames_sent, self.downlink_frames_received):.2%})",
            f"telemetry archived: {self.telemetry_frames_archived} frames, "
            f"{self.telemetry_samples_archived} samples",
        ]
        states = self.states()
        rejected = ", ".join(f"{reason} {count}" for reason, count in sorted(self.rejections().items()))
        lines.append(
            f"commands: {states.get('accepted', 0)} accepted, {states.get('rejected', 0)} rejected"
            + (f" ({rejected})" if rejected else "")
            + f", {states.get('expired', 0)} expired, "
            + f"{sum(v for k, v in states.items() if k not in ('accepted', 'rejected', 'expired'))} pending"
        )
        for c in self.commands:
            outcome = c.state + (f" ({c.reason})" if c.reason else "")
            lines.append(f"  #{c.id:<3} {c.node:<11} {c.summary:<44} {outcome} after {c.attempts} attempt(s)")
        raised = sum(count for _, count in self.alarms_raised)
        detail = ", ".join(f"{name} {count}" for name, count in self.alarms_raised)
        lines.append(f"alarms raised: {raised}" + (f" ({detail})" if detail else ""))
        return "\n".join(lines)


@dataclass
class SummaryCounter:
    passes_worked: int = 0
    passes_with_data: int = 0
    telemetry_samples: int = 0
    frames_without_path: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    alarms: Counter[str] = field(default_factory=Counter)

    def count(self, direction: str, sent: int, received: int) -> None:
        self.sent[direction] += sent
        self.received[direction] += received

    def alarm(self, event: AlarmEvent) -> None:
        if event.kind == AlarmEventKind.RAISED:
            alarm = event.alarm
            # Commands refused: one count per reason-severity, not one line per command.
            name = alarm.parameter if alarm.kind == AlarmKind.COMMAND else alarm.label
            self.alarms[f"{name}/{alarm.severity.label}"] += 1

    def summary(
        self,
        config: SimulationConfig,
        end: datetime,
        commands: list[CommandRecord],
        archive: TelemetryArchive,
    ) -> SimulationSummary:
        return SimulationSummary(
            start=config.start,
            end=end,
            nodes=config.nodes,
            seed=config.seed,
            passes_worked=self.passes_worked,
            passes_with_data=self.passes_with_data,
            uplink_frames_sent=self.sent["uplink"],
            uplink_frames_received=self.received["uplink"],
            downlink_frames_sent=self.sent["downlink"],
            downlink_frames_received=self.received["downlink"],
            frames_without_path=self.frames_without_path,
            telemetry_frames_archived=archive.frame_count(),
            telemetry_samples_archived=archive.sample_count(),
            commands=tuple(
                CommandOutcome(c.id, c.node, c.summary, c.state.value, c.reason, c.attempts) for c in commands
            ),
            alarms_raised=tuple(sorted(self.alarms.items())),
        )
