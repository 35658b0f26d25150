"""Two-line element sets: column parsing (with Alpha-5 catalog numbers) and formatting.

Columns follow the NORAD/Space-Track TLE layout (1-based, inclusive):
line 1: 3-7 catalog number, 8 classification, 10-17 international designator, 19-32 epoch,
34-43 ndot/2, 45-52 nddot/6, 54-61 B*, 63 ephemeris type, 65-68 element set, 69 checksum;
line 2: 3-7 catalog number, 9-16 inclination, 18-25 RAAN, 27-33 eccentricity, 35-42 argument of
perigee, 44-51 mean anomaly, 53-63 mean motion, 64-68 revolution number, 69 checksum.
Anything after column 69 is ignored (Vallado's verification file puts start/stop/step there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracking.elements import Elements

TLE_LINE_LENGTH = 69
# Alpha-5: a letter (I and O skipped) replaces the leading digit, A0000 = 100000 .. Z9999 = 339999.
MAX_ALPHA5_CATALOG_NUMBER = 339999
_ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ALPHA5_VALUE = {letter: 10 + i for i, letter in enumerate(_ALPHA5_LETTERS)}
_YEAR_STARTS = {year: datetime(year, 1, 1, tzinfo=UTC) for year in range(1957, 2057)}
_DIGITS = frozenset("0123456789")
# Byte → checksum weight: digits their value, '-' one, everything else nothing.
_CHECKSUM_WEIGHTS = bytes(
    (byte - 48) if 48 <= byte <= 57 else 1 if byte == ord("-") else 0 for byte in range(256)
)


class TleLineError(ValueError):
    """A field of a TLE line is unreadable; `line_index` is 0 for line 1, 1 for line 2."""

    def __init__(self, line_index: int, reason: str) -> None:
        super().__init__(reason)
        self.line_index = line_index


def checksum(line: str) -> int:
    """TLE checksum of the first 68 columns: digits count their value, '-' counts 1, modulo 10."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_WEIGHTS)) % 10


def decode_catalog_number(field: str) -> int:
    """Catalog number from TLE columns 3-7: five digits, or Alpha-5 (letter + four digits)."""
    text = field.strip()
    if not text:
        raise ValueError("empty catalog number")
    first = text[0]
    if first in _ALPHA5_VALUE and len(text) == 5 and text[1:].isdigit():
        return _ALPHA5_VALUE[first] * 10000 + int(text[1:])
    if not text.isdigit():
        raise ValueError(f"bad catalog number {field!r}")
    return int(text)


def encode_catalog_number(norad_id: int) -> str:
    """Five TLE columns for a catalog number; Alpha-5 above 99999; refuses what a TLE cannot hold."""
    if 0 <= norad_id <= 99999:
        return f"{norad_id:05d}"
    if norad_id <= MAX_ALPHA5_CATALOG_NUMBER:
        return _ALPHA5_LETTERS[norad_id // 10000 - 10] + f"{norad_id % 10000:04d}"
    raise ValueError(
        f"catalog number {norad_id} does not fit a TLE (Alpha-5 ends at {MAX_ALPHA5_CATALOG_NUMBER}); "
        "export it as OMM"
    )


def _implied_decimal(field: str) -> float:
    """A field like ' 11635-2' or '-12345+1' (assumed leading decimal point, exponent)."""
    text = field.strip().replace(" ", "")
    if not text:
        return 0.0
    sign = ""
    if text[0] in "+-":
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    if len(text) < 3 or text[-2] not in "+-" or not text[-1].isdigit():
        raise ValueError
    mantissa = text[:-2].lstrip(".")
    if not mantissa.isdigit():
        raise ValueError
    return float(f"{sign}0.{mantissa}e{text[-2:]}")


def _year_start(two_digit_year: int) -> datetime:
    # NORAD convention: 57-99 are 1957-1999, 00-56 are 2000-2056.
    return _YEAR_STARTS[two_digit_year + (1900 if two_digit_year >= 57 else 2000)]


def designator_to_omm(field: str) -> str:
    """'98067A' → '1998-067A' (OMM OBJECT_ID form); blank stays blank."""
    text = field.strip()
    if len(text) < 5 or not text[:5].isdigit():
        return text
    year = int(text[:2])
    return f"{year + (1900 if year >= 57 else 2000)}-{text[2:]}"


def designator_to_tle(object_id: str) -> str:
    """'1998-067A' → '98067A' for TLE columns 10-17 (at most 8 characters)."""
    text = object_id.strip()
    if len(text) >= 9 and text[4] == "-" and text[:4].isdigit():
        text = text[2:4] + text[5:]
    return text[:8]


def _float(line: str, start: int, stop: int, what: str, index: int) -> float:
    field = line[start:stop]
    try:
        return float(field)
    except ValueError:
        raise TleLineError(index, f"bad {what} {field.strip()!r} in columns {start + 1}-{stop}") from None


def parse_tle(line1: str, line2: str, name: str = "", *, verify_checksum: bool = True) -> Elements:
    """Elements from two TLE lines; raises TleLineError naming the line and the field."""
    for index, line, tag in ((0, line1, "1"), (1, line2, "2")):
        if not line.startswith(tag):
            raise TleLineError(index, f"line {tag} of a TLE must start with {tag!r}")
        if len(line) < TLE_LINE_LENGTH:
            raise TleLineError(index, f"truncated TLE line ({len(line)} columns, need {TLE_LINE_LENGTH})")
        if verify_checksum:
            given = line[68]
            if given not in _DIGITS:
                raise TleLineError(index, f"bad checksum character {given!r} in column 69")
            computed = checksum(line)
            if int(given) != computed:
                raise TleLineError(index, f"bad checksum (line says {given}, computed {computed})")
    try:
        norad_id = decode_catalog_number(line1[2:7])
    except ValueError as exc:
        raise TleLineError(0, str(exc)) from None
    try:
        norad_id_2 = decode_catalog_number(line2[2:7])
    except ValueError as exc:
        raise TleLineError(1, str(exc)) from None
    if norad_id_2 != norad_id:
        raise TleLineError(1, f"catalog number {norad_id_2} differs from line 1 ({norad_id})")

    year_field = line1[18:20]
    if not year_field.strip().isdigit():
        raise TleLineError(0, f"bad epoch year {year_field!r} in columns 19-20")
    day_of_year = _float(line1, 20, 32, "epoch day", 0)
    if not 1.0 <= day_of_year < 367.0:
        raise TleLineError(0, f"epoch day {day_of_year} out of range [1, 367)")
    epoch = _year_start(int(year_field)) + timedelta(days=day_of_year - 1.0)

    mean_motion_dot = _float(line1, 33, 43, "mean motion derivative", 0)
    try:
        mean_motion_ddot = _implied_decimal(line1[44:52])
    except ValueError:
        raise TleLineError(0, f"bad mean motion second derivative {line1[44:52].strip()!r}") from None
    try:
        bstar = _implied_decimal(line1[53:61])
    except ValueError:
        raise TleLineError(0, f"bad B* drag term {line1[53:61].strip()!r} in columns 54-61") from None
    element_set = line1[64:68].strip()
    if element_set and not element_set.isdigit():
        raise TleLineError(0, f"bad element set number {element_set!r} in columns 65-68")

    inclination_deg = _float(line2, 8, 16, "inclination", 1)
    raan_deg = _float(line2, 17, 25, "right ascension of ascending node", 1)
    ecc_field = line2[26:33]
    if not ecc_field.strip().isdigit():
        raise TleLineError(1, f"bad eccentricity {ecc_field!r} in columns 27-33")
    arg_perigee_deg = _float(line2, 34, 42, "argument of perigee", 1)
    mean_anomaly_deg = _float(line2, 43, 51, "mean anomaly", 1)
    mean_motion = _float(line2, 52, 63, "mean motion", 1)
    rev_field = line2[63:68].strip()
    if rev_field and not rev_field.isdigit():
        raise TleLineError(1, f"bad revolution number {rev_field!r} in columns 64-68")
    try:
        return Elements(
            norad_id=norad_id,
            name=name,
            epoch=epoch,
            mean_motion_rev_per_day=mean_motion,
            eccentricity=float("0." + ecc_field.strip()),
            inclination_deg=inclination_deg,
            raan_deg=raan_deg,
            arg_perigee_deg=arg_perigee_deg,
            mean_anomaly_deg=mean_anomaly_deg,
            bstar_per_earth_radius=bstar,
            mean_motion_dot=mean_motion_dot,
            mean_motion_ddot=mean_motion_ddot,
            classification=line1[7].strip() or "U",
            international_designator=designator_to_omm(line1[9:17]),
            element_set_no=int(element_set) if element_set else 0,
            rev_at_epoch=int(rev_field) if rev_field else 0,
        )
    except ValueError as exc:
        raise TleLineError(1, str(exc)) from None


def _exponent_field(value: float, what: str) -> str:
    """Eight columns in TLE assumed-decimal form: ' 12345-3' means 0.12345e-3."""
    if value == 0.0:
        return " 00000+0"
    digits, _, exponent_text = f"{abs(value):.4e}".partition("e")
    exponent = int(exponent_text) + 1
    if exponent < -9:
        return " 00000+0"
    if exponent > 9:
        raise ValueError(f"{what} {value} does not fit a TLE")
    sign = "-" if value < 0 else " "
    return f"{sign}{digits.replace('.', '')}{'-' if exponent < 0 else '+'}{abs(exponent)}"


def _fixed_field(value: float, width: int, decimals: int, what: str) -> str:
    text = f"{value:{width}.{decimals}f}"
    if len(text) > width:
        raise ValueError(f"{what} {value} does not fit a TLE")
    return text


def format_tle(elements: Elements) -> tuple[str, str]:
    """The two TLE lines (69 columns, checksums included); refuses values a TLE cannot hold."""
    catalog = encode_catalog_number(elements.norad_id)
    epoch = elements.epoch.astimezone(UTC)
    if not 1957 <= epoch.year <= 2056:
        raise ValueError(f"epoch year {epoch.year} does not fit a TLE (1957-2056)")
    day_of_year = (epoch - _YEAR_STARTS[epoch.year]) / timedelta(days=1) + 1.0
    ndot = elements.mean_motion_dot
    if not abs(ndot) < 1.0:
        raise ValueError(f"mean motion derivative {ndot} does not fit a TLE")
    ndot_text = f"{abs(ndot):.8f}"[1:]
    if ndot_text.startswith("1"):  # rounded up to 1.0
        raise ValueError(f"mean motion derivative {ndot} does not fit a TLE")
    ecc_text = f"{elements.eccentricity:.7f}"
    if not ecc_text.startswith("0."):
        raise ValueError(f"eccentricity {elements.eccentricity} does not fit a TLE")
    classification = (elements.classification or "U")[:1]
    line1 = (
        f"1 {catalog}{classification} {designator_to_tle(elements.international_designator):<8} "
        f"{epoch.year % 100:02d}{day_of_year:012.8f} {'-' if ndot < 0 else ' '}{ndot_text} "
        f"{_exponent_field(elements.mean_motion_ddot, 'mean motion second derivative')} "
        f"{_exponent_field(elements.bstar_per_earth_radius, 'B*')} 0 "
        f"{elements.element_set_no % 10000:4d}"
    )
    line2 = (
        f"2 {catalog} {_fixed_field(elements.inclination_deg, 8, 4, 'inclination')} "
        f"{_fixed_field(elements.raan_deg, 8, 4, 'RAAN')} {ecc_text[2:]} "
        f"{_fixed_field(elements.arg_perigee_deg, 8, 4, 'argument of perigee')} "
        f"{_fixed_field(elements.mean_anomaly_deg, 8, 4, 'mean anomaly')} "
        f"{_fixed_field(elements.mean_motion_rev_per_day, 11, 8, 'mean motion')}"
        f"{elements.rev_at_epoch % 100000:5d}"
    )
    return line1 + str(checksum(line1)), line2 + str(checksum(line2))
