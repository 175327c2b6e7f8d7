"""DRAM configurations: :class:`DramSpec`, DRAMsim3 ``.ini`` files and TOML presets.

A configuration is read as DRAMsim3 reads its ``.ini`` (DRAMsim3 commit 2981759,
``src/configuration.cc``): four sections ``[dram_structure]``, ``[timing]``,
``[power]``, ``[system]`` (plus ``[other]``), the same keys, the same defaults for
keys left out, and the same derived values:

- ranks = channel_size / (rank capacity), rank capacity = banks x rows x page bytes x
  devices per rank (at least one rank; DRAMsim3 then raises channel_size);
- burst cycles = BL/2 (BL/4 GDDR5, BL/8 GDDR5X, BL/16 GDDR6);
- "columns" are device columns (x BL for GDDR, x 2 for HBM, as DRAMsim3 counts them);
- tRC = tRAS + tRP; read delay = AL + CL + burst cycles; ACT->READ is tRCDRD for GDDR
  and HBM, tRCD otherwise.

TOML presets (``janus1/presets/drams/*.toml``) use the same sections and keys, plus
``source`` and ``notes``; they may also give ``burst_cycles`` (LPDDR5's WCK:CK ratio),
``tRC``, ``ranks`` and ``[system] write_drain_low`` (the write buffer's low watermark,
DRAMsim3's fixed 8) directly, and protocols DRAMsim3 lacks (LPDDR5, LPDDR5X, which are
timed like LPDDR4). Keys DRAMsim3 does not read are accepted and listed in the spec's
notes; a malformed value is a :class:`janus1.errors.ConfigError` naming the file,
section and key.
"""

from __future__ import annotations

import configparser
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import ConfigError, InputError

__all__ = ["DramSpec", "load_dram", "read_dramsim3_ini", "dram_from_sections", "FIELDS",
           "dram_presets"]

FIELDS = ("ch", "ra", "bg", "ba", "ro", "co")
PROTOCOLS = ("DDR3", "DDR4", "GDDR5", "GDDR5X", "GDDR6", "LPDDR", "LPDDR3", "LPDDR4",
             "HBM", "HBM2", "LPDDR5", "LPDDR5X")
REFRESH_POLICIES = ("RANK_LEVEL_STAGGERED", "RANK_LEVEL_SIMULTANEOUS", "BANK_LEVEL_STAGGERED")

# Every key DRAMsim3 (2981759, src/configuration.cc) reads, with its default.
# None: no default that matters here (string keys handled below).
_READ_KEYS: dict[str, dict[str, Any]] = {
    "dram_structure": {"protocol": "DDR3", "bankgroups": 2, "banks_per_group": 2,
                       "bankgroup_enable": True, "rows": 1 << 16, "columns": 1 << 10,
                       "device_width": 8, "BL": 8, "num_dies": 1, "hbm_dual_cmd": True},
    "timing": {"tCK": 1.0, "AL": 0, "CL": 12, "CWL": 12, "tCCD_L": 6, "tCCD_S": 4,
               "tRTRS": 2, "tRTP": 5, "tWTR_L": 5, "tWTR_S": 5, "tWR": 10, "tRP": 10,
               "tRRD_L": 4, "tRRD_S": 4, "tRAS": 24, "tRCD": 10, "tRFC": 74, "tCKE": 6,
               "tCKESR": 12, "tXS": 432, "tXP": 8, "tRFCb": 20, "tREFI": 7800,
               "tREFIb": 1950, "tFAW": 50, "tRPRE": 1, "tWPRE": 1, "tPPD": 0, "t32AW": 330,
               "tRCDRD": 24, "tRCDWR": 20, "ideal_memory_latency": 10},
    "power": {"VDD": 1.2, "IDD0": 48.0, "IDD2P": 25.0, "IDD2N": 34.0, "IDD3P": 37.0,
              "IDD3N": 43.0, "IDD4W": 123.0, "IDD4R": 135.0, "IDD5AB": 250.0, "IDD5PB": 5.0,
              "IDD6x": 31.0},
    "system": {"channel_size": 1024, "channels": 1, "bus_width": 64,
               "address_mapping": "chrobabgraco", "queue_structure": "PER_BANK",
               "row_buf_policy": "OPEN_PAGE", "cmd_queue_size": 16, "trans_queue_size": 32,
               "unified_queue": False, "write_buf_size": 16,
               "refresh_policy": "RANK_LEVEL_STAGGERED", "enable_self_refresh": False,
               "sref_threshold": 1000, "aggressive_precharging_enabled": False},
    "other": {"epoch_period": 100000, "output_level": 1, "output_prefix": "dramsim3"},
}
# janus1 extensions allowed in TOML presets (not DRAMsim3 keys).
_EXTRA_KEYS = {"dram_structure": {"burst_cycles", "ranks"}, "timing": {"tRC"},
               "system": {"write_drain_low"}}
_FLOAT_KEYS = {"tCK"} | set(_READ_KEYS["power"])
_STR_KEYS = {"protocol", "address_mapping", "queue_structure", "row_buf_policy",
             "refresh_policy", "output_prefix"}
_BOOL_KEYS = {"bankgroup_enable", "hbm_dual_cmd", "unified_queue", "enable_self_refresh",
              "aggressive_precharging_enabled"}
_OVERRIDDEN = "__overridden__"  # marks --set keys inside the sections dict
# DRAMsim3 drains the write buffer when it holds more than this many writes and every
# command queue is empty (controller.cc ScheduleTransaction at 2981759; the ini's
# write_buf_size is read but not used there, see shared/reference/dramsim3.md caveat 7).
DRAMSIM3_WRITE_DRAIN_LOW = 8


@dataclass(frozen=True, kw_only=True)
class DramSpec:
    """One DRAM system, all times in controller cycles (``tCK``) unless named ``_ns``.

    Organisation is per channel; ``banks`` = bankgroups x banks_per_group per rank.
    """

    name: str
    protocol: str
    source: str
    tck_ns: float
    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    rows: int
    columns: int                # device columns as DRAMsim3 counts them
    device_width: int           # bits per device
    bus_width: int              # bits per channel
    BL: int
    burst_cycles: int           # data-bus cycles per burst
    AL: int
    CL: int
    CWL: int
    tRCD: int                   # ACT -> READ
    tRCDWR: int                 # ACT -> WRITE
    tRP: int
    tRAS: int
    tRC: int
    tRFC: int
    tRFCb: int
    tREFI: int
    tREFIb: int
    tRRD_S: int
    tRRD_L: int
    tFAW: int
    t32AW: int                  # 0: no 32-activate window (only GDDR has one)
    tWTR_S: int
    tWTR_L: int
    tWR: int
    tRTP: int
    tCCD_S: int
    tCCD_L: int
    tRTRS: int
    tPPD: int
    address_mapping: str
    row_buf_policy: str         # OPEN_PAGE or CLOSE_PAGE
    refresh_policy: str
    queue_structure: str        # PER_BANK or PER_RANK
    trans_queue_size: int       # read queue and write buffer entries, per channel
    cmd_queue_size: int         # entries per command queue
    dual_cmd: bool              # HBM: a second command per cycle if one is a column command
    write_drain_low: int = DRAMSIM3_WRITE_DRAIN_LOW
    channel_size_mb: int
    VDD: float
    IDD0: float
    IDD2N: float
    IDD3N: float
    IDD4R: float
    IDD4W: float
    IDD5AB: float
    IDD5PB: float
    notes: tuple[str, ...] = field(default=())

    # ---- derived --------------------------------------------------------------------
    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bankgroups * self.banks_per_group

    @property
    def devices_per_rank(self) -> int:
        return self.bus_width // self.device_width

    @property
    def request_bytes(self) -> int:
        """Bytes one column command moves (bus width x BL); lower address bits are dropped."""
        return self.bus_width // 8 * self.BL

    @property
    def read_delay(self) -> int:
        """READ command to data returned: AL + CL + burst cycles."""
        return self.AL + self.CL + self.burst_cycles

    @property
    def write_delay(self) -> int:
        return self.AL + self.CWL + self.burst_cycles

    @property
    def idle_read_latency_cycles(self) -> int:
        """Unloaded open-row hit, as DRAMsim3 reports it: 1 (queueing) + AL + CL + burst."""
        return 1 + self.read_delay

    @property
    def idle_read_latency_ns(self) -> float:
        return self.idle_read_latency_cycles * self.tck_ns

    @property
    def closed_bank_read_latency_cycles(self) -> int:
        return self.idle_read_latency_cycles + self.tRCD

    @property
    def peak_bandwidth_bytes_per_s(self) -> float:
        """Data-bus peak: channels x bus bytes x (BL / burst cycles) per tCK."""
        return (self.channels * self.bus_width / 8 * self.BL / self.burst_cycles
                / (self.tck_ns * 1e-9))

    @property
    def field_widths(self) -> dict[str, int]:
        """Address-field widths in bits (DRAMsim3 SetAddressMapping)."""
        return {"ch": _log2(self.channels), "ra": _log2(self.ranks),
                "bg": _log2(self.bankgroups), "ba": _log2(self.banks_per_group),
                "ro": _log2(self.rows), "co": _log2(self.columns) - _log2(self.BL)}

    @property
    def shift_bits(self) -> int:
        return _log2(self.request_bytes)

    @property
    def field_positions(self) -> dict[str, int]:
        """Bit position of each field after the shift (fields from the LSB in reverse order)."""
        pos, out = 0, {}
        for i in range(5, -1, -1):
            f = self.address_mapping[2 * i:2 * i + 2]
            out[f] = pos
            pos += self.field_widths[f]
        return out

    @property
    def address_bits(self) -> int:
        return self.shift_bits + sum(self.field_widths.values())

    @property
    def capacity_bytes(self) -> int:
        return 1 << self.address_bits

    def describe_mapping(self) -> str:
        """Byte-address bits of each field, e.g. ``ignored[0:5] co[6:12] ...``."""
        parts = [f"ignored[0:{self.shift_bits - 1}]"] if self.shift_bits else []
        pos = self.shift_bits
        for i in range(5, -1, -1):
            f = self.address_mapping[2 * i:2 * i + 2]
            w = self.field_widths[f]
            if w:
                parts.append(f"{f}[{pos}]" if w == 1 else f"{f}[{pos}:{pos + w - 1}]")
            pos += w
        return " ".join(parts)

    def energy_increments(self) -> dict[str, float]:
        """DRAMsim3's energy increments (V x mA x cycles per command / per rank-cycle)."""
        d = float(self.devices_per_rank)
        return {
            "act": self.VDD * (self.IDD0 * self.tRC - (self.IDD3N * self.tRAS
                                                        + self.IDD2N * self.tRP)) * d,
            "read": self.VDD * (self.IDD4R - self.IDD3N) * self.burst_cycles * d,
            "write": self.VDD * (self.IDD4W - self.IDD3N) * self.burst_cycles * d,
            "ref": self.VDD * (self.IDD5AB - self.IDD3N) * self.tRFC * d,
            "refb": self.VDD * (self.IDD5PB - self.IDD3N) * self.tRFCb * d,
            "act_stb": self.VDD * self.IDD3N * d,
            "pre_stb": self.VDD * self.IDD2N * d,
        }

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["notes"] = list(self.notes)
        d.update(banks=self.banks, request_bytes=self.request_bytes,
                 read_delay=self.read_delay, address_bits=self.address_bits,
                 capacity_bytes=self.capacity_bytes, mapping_bits=self.describe_mapping(),
                 idle_read_latency_cycles=self.idle_read_latency_cycles,
                 peak_bandwidth_bytes_per_s=self.peak_bandwidth_bytes_per_s)
        return d


def _log2(n: int) -> int:
    return max(int(n).bit_length() - 1, 0)


def _is_pow2(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


# ---- building a spec from sections ----------------------------------------------------
def _value(raw: Any, key: str, where: str) -> Any:
    """Convert one raw value (ini string or TOML value) to the type DRAMsim3 reads."""
    if key in _STR_KEYS:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: {key} must be a string, not {raw!r}")
        return raw.strip()
    if key in _BOOL_KEYS:
        if isinstance(raw, bool):
            return raw
        s = str(raw).strip().lower()
        if s in ("true", "yes", "on", "1"):
            return True
        if s in ("false", "no", "off", "0"):
            return False
        raise ConfigError(f"{where}: {key} must be true or false, not {raw!r}")
    if isinstance(raw, bool):
        raise ConfigError(f"{where}: {key} must be a number, not {raw!r}")
    if key in _FLOAT_KEYS:
        try:
            v = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {key} must be a number, not {raw!r}") from None
        if not v == v or v < 0:
            raise ConfigError(f"{where}: {key} must be a non-negative number, not {raw!r}")
        return v
    if isinstance(raw, float):
        if raw != int(raw):
            raise ConfigError(f"{where}: {key} must be an integer, not {raw!r}")
        raw = int(raw)
    if isinstance(raw, int):
        v = raw
    else:
        s = str(raw).strip()
        try:
            v = int(s, 0) if s.lower().startswith(("0x", "0b", "0o")) else int(s)
        except ValueError:
            raise ConfigError(f"{where}: {key} must be an integer, not {raw!r}") from None
    if v < 0:
        raise ConfigError(f"{where}: {key} must not be negative, not {v}")
    return v


def dram_from_sections(sections: Mapping[str, Mapping[str, Any]], *, name: str, source: str,
                       where: str, notes: Sequence[str] = (), strict: bool = False) -> DramSpec:
    """Build a :class:`DramSpec` from DRAMsim3-style sections, as DRAMsim3 would.

    Args:
        sections: ``{section: {key: value}}``; values are ini strings or TOML values.
        name, source: for the spec.
        where: file name for error messages.
        notes: carried into the spec's notes.
        strict: unknown sections/keys are errors (TOML presets) instead of notes (ini).

    Raises:
        ConfigError: a malformed value, an impossible organisation or contradicting timings.
    """
    out_notes = list(notes)
    vals: dict[str, Any] = {}
    forced = set(sections.get(_OVERRIDDEN, {}))
    for sec, keys in sections.items():
        if sec == _OVERRIDDEN:
            continue
        known = _READ_KEYS.get(sec)
        if known is None:
            if strict:
                raise ConfigError(f"{where}: unknown section [{sec}] (known: "
                                  f"{', '.join(_READ_KEYS)})")
            out_notes.append(f"section [{sec}] is not read by DRAMsim3's DRAM model; ignored")
            continue
        if not isinstance(keys, Mapping):
            raise ConfigError(f"{where}: [{sec}] must be a table")
        for key, raw in keys.items():
            w = f"{where}: [{sec}] {key}"
            extra = key in _EXTRA_KEYS.get(sec, ()) and (strict or f"{sec}.{key}" in forced)
            if key in known or extra:
                vals[key] = _value(raw, key, w)
            elif strict:
                raise ConfigError(f"{w}: unknown key (DRAMsim3 reads: "
                                  f"{', '.join(known)})")
            else:
                out_notes.append(f"[{sec}] {key} is not read by DRAMsim3; ignored")

    def get(key: str) -> Any:
        if key in vals:
            return vals[key]
        for sec in _READ_KEYS.values():
            if key in sec:
                return sec[key]
        raise KeyError(key)  # pragma: no cover

    protocol = get("protocol").upper() if "protocol" in vals else get("protocol")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"{where}: [dram_structure] protocol {protocol!r} unknown "
                          f"(known: {', '.join(PROTOCOLS)})")
    is_gddr = protocol.startswith("GDDR")
    is_hbm = protocol.startswith("HBM")
    bankgroups, bpg = get("bankgroups"), get("banks_per_group")
    if not get("bankgroup_enable"):
        bpg, bankgroups = bpg * bankgroups, 1
    BL = get("BL")
    if BL <= 0:
        raise ConfigError(f"{where}: [dram_structure] BL must be positive")
    div = {"GDDR5": 4, "GDDR5X": 8, "GDDR6": 16}.get(protocol, 2)
    burst = vals.get("burst_cycles", BL // div)
    if burst <= 0:
        raise ConfigError(f"{where}: [dram_structure] burst_cycles must be positive "
                          f"(BL {BL} gives {BL // div})")
    columns = get("columns")
    if is_gddr:
        columns *= BL
    elif is_hbm:
        columns *= 2
    rows, dev_w, bus_w = get("rows"), get("device_width"), get("bus_width")
    for key, v in (("bankgroups", bankgroups), ("banks_per_group", bpg), ("rows", rows),
                   ("columns", columns), ("BL", BL), ("device_width", dev_w),
                   ("bus_width", bus_w), ("channels", get("channels"))):
        if not _is_pow2(v):
            raise ConfigError(f"{where}: {key} = {v} must be a power of two")
    if dev_w > bus_w:
        raise ConfigError(f"{where}: device_width {dev_w} exceeds bus_width {bus_w}")
    if columns < BL:
        raise ConfigError(f"{where}: columns {columns} fewer than BL {BL}")
    devices = bus_w // dev_w
    page_bytes = columns * dev_w // 8
    megs_per_rank = page_bytes * (rows // 1024) // 1024 * bankgroups * bpg * devices
    channel_size = get("channel_size")
    if "ranks" in vals:
        ranks = vals["ranks"]
        channel_size = ranks * megs_per_rank
    elif megs_per_rank == 0 or megs_per_rank > channel_size:
        ranks = 1
        if megs_per_rank:
            out_notes.append(f"channel_size {channel_size} MB is smaller than one rank "
                             f"({megs_per_rank} MB): 1 rank, channel_size raised (as DRAMsim3)")
        channel_size = max(megs_per_rank, channel_size)
    else:
        ranks = channel_size // megs_per_rank
        channel_size = ranks * megs_per_rank
    if not _is_pow2(ranks):
        raise ConfigError(f"{where}: {ranks} ranks per channel (channel_size / rank size) "
                          "is not a power of two")
    tRAS, tRP = get("tRAS"), get("tRP")
    tRC = vals.get("tRC", tRAS + tRP)
    if tRAS > tRC:
        raise ConfigError(f"{where}: [timing] tRAS = {tRAS} exceeds tRC = {tRC}")
    if get("tRCD") > tRAS and not (is_gddr or is_hbm):
        raise ConfigError(f"{where}: [timing] tRCD = {get('tRCD')} exceeds tRAS = {tRAS}")
    if (is_gddr or is_hbm) and max(get("tRCDRD"), get("tRCDWR")) > tRAS:
        raise ConfigError(f"{where}: [timing] tRCDRD/tRCDWR exceed tRAS = {tRAS}")
    if tRC < tRAS + tRP:
        out_notes.append(f"tRC {tRC} < tRAS + tRP = {tRAS + tRP}: tRC only bounds ACT->ACT")
    tck = get("tCK")
    if tck <= 0:
        raise ConfigError(f"{where}: [timing] tCK must be positive")
    for key in ("CL", "tRCD", "tRP", "tRAS", "tRFC", "tREFI", "tFAW"):
        if get(key) <= 0 and not (key == "tRCD" and (is_gddr or is_hbm)):
            raise ConfigError(f"{where}: [timing] {key} must be positive")
    for short, long_ in (("tCCD_S", "tCCD_L"), ("tRRD_S", "tRRD_L"), ("tWTR_S", "tWTR_L")):
        if get(short) > get(long_):
            raise ConfigError(f"{where}: [timing] {short} = {get(short)} exceeds {long_} = "
                              f"{get(long_)} (same-bank-group spacing is never shorter)")
    if get("tRFC") >= get("tREFI"):
        raise ConfigError(f"{where}: [timing] tRFC = {get('tRFC')} is not below "
                          f"tREFI = {get('tREFI')}")
    policy = get("refresh_policy")
    if policy not in REFRESH_POLICIES:
        raise ConfigError(f"{where}: [system] refresh_policy {policy!r} unknown (known: "
                          f"{', '.join(REFRESH_POLICIES)})")
    if policy == "BANK_LEVEL_STAGGERED" and get("tRFCb") >= get("tREFIb"):
        raise ConfigError(f"{where}: [timing] tRFCb = {get('tRFCb')} is not below "
                          f"tREFIb = {get('tREFIb')}")
    if policy == "BANK_LEVEL_STAGGERED" and get("tREFIb") <= 0:
        raise ConfigError(f"{where}: [timing] tREFIb must be positive")
    rbp = get("row_buf_policy")
    if rbp not in ("OPEN_PAGE", "CLOSE_PAGE"):
        raise ConfigError(f"{where}: [system] row_buf_policy {rbp!r} must be OPEN_PAGE or "
                          "CLOSE_PAGE")
    qs = get("queue_structure")
    if qs not in ("PER_BANK", "PER_RANK"):
        raise ConfigError(f"{where}: [system] queue_structure {qs!r} must be PER_BANK or "
                          "PER_RANK")
    if get("unified_queue"):
        raise ConfigError(f"{where}: [system] unified_queue = true is not modelled by janus1")
    if get("enable_self_refresh"):
        out_notes.append("enable_self_refresh = true: self-refresh is not modelled (ignored)")
    for key in ("trans_queue_size", "cmd_queue_size"):
        if get(key) < 1:
            raise ConfigError(f"{where}: [system] {key} must be at least 1")
    if get("trans_queue_size") > 4096 or get("cmd_queue_size") > 4096:
        raise ConfigError(f"{where}: [system] queue sizes above 4096 are not supported")
    tRCD = get("tRCDRD") if (is_gddr or is_hbm) else get("tRCD") - get("AL")
    tRCDWR = get("tRCDWR") if (is_gddr or is_hbm) else get("tRCD") - get("AL")
    spec = DramSpec(
        name=name, protocol=protocol, source=source, tck_ns=tck,
        channels=get("channels"), ranks=ranks, bankgroups=bankgroups, banks_per_group=bpg,
        rows=rows, columns=columns, device_width=dev_w, bus_width=bus_w, BL=BL,
        burst_cycles=burst, AL=get("AL"), CL=get("CL"), CWL=get("CWL"), tRCD=tRCD,
        tRCDWR=tRCDWR, tRP=tRP, tRAS=tRAS, tRC=tRC, tRFC=get("tRFC"), tRFCb=get("tRFCb"),
        tREFI=get("tREFI"), tREFIb=get("tREFIb"), tRRD_S=get("tRRD_S"), tRRD_L=get("tRRD_L"),
        tFAW=get("tFAW"), t32AW=get("t32AW") if is_gddr else 0, tWTR_S=get("tWTR_S"),
        tWTR_L=get("tWTR_L"), tWR=get("tWR"), tRTP=get("tRTP"), tCCD_S=get("tCCD_S"),
        tCCD_L=get("tCCD_L"), tRTRS=get("tRTRS"), tPPD=get("tPPD"),
        address_mapping=get("address_mapping"), row_buf_policy=rbp, refresh_policy=policy,
        queue_structure=qs, trans_queue_size=get("trans_queue_size"),
        cmd_queue_size=get("cmd_queue_size"), dual_cmd=bool(get("hbm_dual_cmd") and is_hbm),
        write_drain_low=vals.get("write_drain_low", DRAMSIM3_WRITE_DRAIN_LOW),
        channel_size_mb=channel_size, VDD=get("VDD"), IDD0=get("IDD0"), IDD2N=get("IDD2N"),
        IDD3N=get("IDD3N"), IDD4R=get("IDD4R"), IDD4W=get("IDD4W"), IDD5AB=get("IDD5AB"),
        IDD5PB=get("IDD5PB"), notes=tuple(out_notes))
    check_mapping(spec, where)
    return spec


def check_mapping(spec: DramSpec, where: str) -> None:
    """The mapping string: 6 two-letter fields, each of ch ra bg ba ro co exactly once,
    and no more bits than a 63-bit byte address holds."""
    m = spec.address_mapping
    if len(m) != 12:
        raise ConfigError(f"{where}: [system] address_mapping {m!r} must be 12 characters "
                          f"(6 two-letter fields from {', '.join(FIELDS)})")
    toks = [m[i:i + 2] for i in range(0, 12, 2)]
    for t in toks:
        if t not in FIELDS:
            raise ConfigError(f"{where}: [system] address_mapping {m!r}: unknown field "
                              f"{t!r} (fields: {', '.join(FIELDS)})")
    missing = [f for f in FIELDS if f not in toks]
    repeated = [f for f in FIELDS if toks.count(f) > 1]
    if repeated:
        raise ConfigError(f"{where}: [system] address_mapping {m!r}: field {repeated[0]!r} "
                          f"repeated ({', '.join(map(repr, missing))} missing)")
    if missing:  # pragma: no cover - six fields of six kinds: a missing one is a repeat
        raise ConfigError(f"{where}: [system] address_mapping {m!r}: field {missing[0]!r} "
                          "missing")
    if spec.address_bits > 63:
        raise ConfigError(f"{where}: [system] address_mapping {m!r} needs "
                          f"{spec.address_bits} address bits, more than a 63-bit address holds")


# ---- readers ----------------------------------------------------------------------------
def read_dramsim3_ini(path: str | Path, overrides: Sequence[str] = ()) -> DramSpec:
    """Read a DRAMsim3 ``.ini`` file (keys DRAMsim3 ignores are listed in ``notes``).

    ``overrides`` are ``section.key=value`` strings applied on top.

    Raises:
        InputError: the file is missing.
        ConfigError: malformed file or value, contradicting timings, bad mapping.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such DRAM configuration file")
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), strict=True,
                                   interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    try:
        cp.read_string(p.read_text(encoding="utf-8", errors="strict"), source=str(p))
    except (configparser.Error, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0]
        raise ConfigError(f"{p}: malformed ini: {msg}") from None
    # DRAMsim3's ini reader (inih + strtol) reads "1; read preamble" as 1: a ';' or '#'
    # starts a comment even without a space before it.
    sections: dict[str, dict[str, Any]] = {
        s: {k: v.split(";", 1)[0].split("#", 1)[0].strip() for k, v in cp[s].items()}
        for s in cp.sections()}
    _apply_overrides(sections, overrides)
    return dram_from_sections(sections, name=p.stem, where=str(p),
                              source=f"DRAMsim3 configuration {p.name}")


def _apply_overrides(sections: dict[str, Any], overrides: Sequence[str]) -> None:
    """Apply ``section.key=value`` overrides; an override must name a key janus1 reads
    (DRAMsim3's keys and janus1's extensions), whatever the file's kind."""
    from ...config import parse_override

    for item in overrides:
        path, value = parse_override(item)
        if len(path) != 2:
            raise ConfigError(f"--set {item!r}: expected section.key=value "
                              f"(sections: {', '.join(_READ_KEYS)})")
        sec, key = path
        if sec not in _READ_KEYS:
            raise ConfigError(f"--set {item!r}: unknown section {sec!r} (known: "
                              f"{', '.join(_READ_KEYS)})")
        if key not in _READ_KEYS[sec] and key not in _EXTRA_KEYS.get(sec, ()):
            raise ConfigError(f"--set {item!r}: unknown key {key!r} in [{sec}]")
        sections.setdefault(sec, {})[key] = value
        sections.setdefault(_OVERRIDDEN, {})[f"{sec}.{key}"] = True


def dram_presets() -> list[str]:
    """Names of the shipped DRAM presets."""
    from ...presets import preset_names

    return preset_names("drams")


def load_dram(name_or_path: str | Path, overrides: Sequence[str] = ()) -> DramSpec:
    """A DRAM configuration by preset name, ``.ini`` path or ``.toml`` path.

    Args:
        name_or_path: a preset (``janus1 presets``: ``ddr4-3200``, ``lpddr5-6400``, ...),
            a DRAMsim3 ``.ini`` file or a TOML file in the preset format.
        overrides: ``section.key=value`` strings (``timing.tRCD=20``).

    Raises:
        InputError: no such preset or file.
        ConfigError: a bad value (the message names the file, section and key).
    """
    s = str(name_or_path)
    p = Path(s)
    if s.lower().endswith(".ini"):
        return read_dramsim3_ini(p, overrides)
    if s.lower().endswith(".toml"):
        from ...config import load_toml

        if not p.is_file():
            raise InputError(f"{p}: no such DRAM configuration file")
        return _from_toml(load_toml(p), name=p.stem, where=str(p), overrides=overrides)
    from ...presets import load_preset

    data = load_preset("drams", s)
    return _from_toml(data, name=data.pop("name"), where=f"preset drams/{s.lower()}",
                      overrides=overrides)


def _from_toml(data: dict[str, Any], *, name: str, where: str,
               overrides: Sequence[str]) -> DramSpec:
    data = dict(data)
    data.pop("name", None)
    source = data.pop("source", None)
    if not isinstance(source, str) or not source:
        raise ConfigError(f"{where}: missing 'source' (every preset names where its numbers "
                          "come from)")
    notes = data.pop("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ConfigError(f"{where}: notes must be a list of strings")
    for k, v in data.items():
        if not isinstance(v, dict):
            raise ConfigError(f"{where}: unknown top-level key {k!r} (expected source, notes "
                              f"and sections {', '.join(_READ_KEYS)})")
    sections = {k: dict(v) for k, v in data.items()}
    _apply_overrides(sections, overrides)
    return dram_from_sections(sections, name=name, source=source, where=where, notes=notes,
                              strict=True)
