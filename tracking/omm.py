"""OMM (CCSDS Orbit Mean-Elements Message) keywords ↔ Elements, as CelesTrak and Space-Track use them.

Catalog numbers are plain integers here, so objects past 99999 (and past Alpha-5's 339999) work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tracking.elements import Elements

# CelesTrak's CSV column order; also the key order of our JSON and XML output.
OMM_KEYS: tuple[str, ...] = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
REQUIRED_KEYS: tuple[str, ...] = (
    "NORAD_CAT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
EPOCH_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"  # CelesTrak's form (UTC, no zone suffix)


class OmmFieldError(ValueError):
    """One OMM keyword is missing or unreadable; `field` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


def _text(fields: Mapping[str, object], key: str) -> str:
    value = fields.get(key)
    if value is None:
        raise OmmFieldError(key, "missing")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise OmmFieldError(key, f"bad value {value!r}")
    text = str(value).strip()
    if not text:
        raise OmmFieldError(key, "missing")
    return text


def _float(fields: Mapping[str, object], key: str) -> float:
    value = fields.get(key)
    if type(value) is float:  # JSON numbers: the fast path
        return value
    if type(value) is str:  # CSV/XML text: the fast path; failures get the careful one below
        try:
            return float(value)
        except ValueError:
            pass
    text = _text(fields, key)
    try:
        return float(text)
    except ValueError:
        raise OmmFieldError(key, f"bad number {text!r}") from None


def _int(fields: Mapping[str, object], key: str, default: int | None = None) -> int:
    value = fields.get(key)
    if type(value) is int:
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    if default is not None and (value is None or value == ""):
        return default
    text = _text(fields, key)
    try:
        return int(text)
    except ValueError:
        raise OmmFieldError(key, f"bad integer {text!r}") from None


def parse_epoch(text: str) -> datetime:
    """OMM EPOCH (ISO 8601, UTC when no zone is given) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def elements_from_omm(fields: Mapping[str, object]) -> Elements:
    """Elements from OMM keywords (strings or JSON numbers); raises OmmFieldError naming the keyword."""
    theory = fields.get("MEAN_ELEMENT_THEORY")
    if isinstance(theory, str) and theory.strip() and theory.strip().upper() != "SGP4":
        raise OmmFieldError("MEAN_ELEMENT_THEORY", f"{theory.strip()!r} is not SGP4")
    epoch_text = fields.get("EPOCH")
    if type(epoch_text) is not str or not epoch_text.strip():
        epoch_text = _text(fields, "EPOCH")
    try:
        epoch = parse_epoch(epoch_text.strip())
    except ValueError:
        raise OmmFieldError("EPOCH", f"bad time {epoch_text.strip()!r}") from None
    norad_id = _int(fields, "NORAD_CAT_ID")
    if norad_id < 0:
        raise OmmFieldError("NORAD_CAT_ID", f"negative catalog number {norad_id}")
    mean_motion = _float(fields, "MEAN_MOTION")
    eccentricity = _float(fields, "ECCENTRICITY")
    name = fields.get("OBJECT_NAME")
    object_id = fields.get("OBJECT_ID")
    classification = fields.get("CLASSIFICATION_TYPE")
    try:
        return Elements(
            norad_id=norad_id,
            name=name.strip() if isinstance(name, str) else "",
            epoch=epoch,
            mean_motion_rev_per_day=mean_motion,
            eccentricity=eccentricity,
            inclination_deg=_float(fields, "INCLINATION"),
            raan_deg=_float(fields, "RA_OF_ASC_NODE"),
            arg_perigee_deg=_float(fields, "ARG_OF_PERICENTER"),
            mean_anomaly_deg=_float(fields, "MEAN_ANOMALY"),
            bstar_per_earth_radius=_float(fields, "BSTAR"),
            mean_motion_dot=_float(fields, "MEAN_MOTION_DOT"),
            mean_motion_ddot=_float(fields, "MEAN_MOTION_DDOT"),
            classification=(classification.strip() or "U") if isinstance(classification, str) else "U",
            international_designator=object_id.strip() if isinstance(object_id, str) else "",
            element_set_no=_int(fields, "ELEMENT_SET_NO", 999),
            rev_at_epoch=_int(fields, "REV_AT_EPOCH", 0),
        )
    except OmmFieldError:
        raise
    except ValueError as exc:
        # Elements' own range checks name the quantity; map it to the OMM keyword.
        message = str(exc)
        for key, word in (
            ("ECCENTRICITY", "eccentricity"),
            ("MEAN_MOTION", "mean motion"),
            ("INCLINATION", "inclination"),
            ("RA_OF_ASC_NODE", "raan"),
            ("ARG_OF_PERICENTER", "arg_perigee"),
            ("MEAN_ANOMALY", "mean_anomaly"),
        ):
            if word in message:
                raise OmmFieldError(key, message) from None
        raise OmmFieldError("record", message) from None


def omm_record(elements: Elements) -> dict[str, str | int | float]:
    """OMM keywords in CelesTrak's order, numbers as numbers (JSON); str() of each gives CSV/XML text."""
    return {
        "OBJECT_NAME": elements.name,
        "OBJECT_ID": elements.international_designator,
        "EPOCH": elements.epoch.astimezone(UTC).strftime(EPOCH_FORMAT),
        "MEAN_MOTION": elements.mean_motion_rev_per_day,
        "ECCENTRICITY": elements.eccentricity,
        "INCLINATION": elements.inclination_deg,
        "RA_OF_ASC_NODE": elements.raan_deg,
        "ARG_OF_PERICENTER": elements.arg_perigee_deg,
        "MEAN_ANOMALY": elements.mean_anomaly_deg,
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": elements.classification,
        "NORAD_CAT_ID": elements.norad_id,
        "ELEMENT_SET_NO": elements.element_set_no,
        "REV_AT_EPOCH": elements.rev_at_epoch,
        "BSTAR": elements.bstar_per_earth_radius,
        "MEAN_MOTION_DOT": elements.mean_motion_dot,
        "MEAN_MOTION_DDOT": elements.mean_motion_ddot,
    }
