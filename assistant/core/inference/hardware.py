"""What this machine offers on-device inference: CPU, instruction-set flags, cores, RAM, accelerators.

The precision policy reads a `HardwareProfile` to choose one precision per model: int8 pays off when
the CPU has an int8 dot-product instruction, fp16 saves only size unless the CPU computes in fp16.
Detection reads cheap OS sources only (/proc, `sysctl`, two Win32 calls), never raises and takes a few
milliseconds. `ASSISTANT_CPUINFO` (a captured /proc/cpuinfo) or `ASSISTANT_SYSCTL` (captured `sysctl`
output of a Mac) makes it describe that machine instead, so the policy can be checked for hardware
we do not have; see tests/fixtures/hardware/README.md.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import math
import os
import platform
import re
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

CPUINFO_ENV = "ASSISTANT_CPUINFO"
SYSCTL_ENV = "ASSISTANT_SYSCTL"

# A fixture without a `MemTotal:` line (or `hw.memsize`) says nothing about RAM: 0 means unknown.
UNKNOWN_RAM = 0
_MAX_FIXTURE_BYTES = 4 * 1024 * 1024
_SYSCTL_TIMEOUT_S = 1.0

# Only flags that matter for inference are kept, under Linux /proc/cpuinfo names, so profiles from
# /proc/cpuinfo, sysctl and Win32 compare equal and the fingerprint survives kernel updates (which
# add and remove mitigation flags such as md_clear).
# fmt: off
X86_FLAGS = frozenset({
    "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
    "avx512_vnni", "avx_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16",
})
ARM_FLAGS = frozenset({
    "fp", "asimd", "fphp", "asimdhp", "asimddp", "asimdfhm", "i8mm", "bf16",
    "sve", "sve2", "svei8mm", "svebf16", "sme",
})
KNOWN_FLAGS = X86_FLAGS | ARM_FLAGS
# Spellings of the same feature in 32-bit ARM kernels and elsewhere.
_FLAG_ALIASES = {"neon": "asimd", "asimdbf16": "bf16", "avx512vnni": "avx512_vnni", "avxvnni": "avx_vnni"}

# Best first: the feature an int8 kernel would use, and how to say it to a person.
INT8_FEATURES: dict[str, str] = {
    "amx_int8": "Intel AMX int8 tiles (amx_int8)",
    "avx512_vnni": "AVX512-VNNI (avx512_vnni)",
    "avx_vnni": "AVX-VNNI (avx_vnni)",
    "i8mm": "Arm int8 matrix multiply (i8mm)",
    "asimddp": "ARMv8.2 dotprod (asimddp)",
}
FP16_FEATURES: dict[str, str] = {
    "avx512_fp16": "AVX512-FP16 (avx512_fp16)",
    "asimdhp": "ARMv8.2 half-precision SIMD (asimdhp)",
}

# (implementer, part) from /proc/cpuinfo -> core name; ARM kernels print no model name on arm64.
ARM_PARTS: dict[tuple[int, int], str] = {
    (0x41, 0xB76): "ARM1176",
    (0x41, 0xC07): "Cortex-A7",
    (0x41, 0xC08): "Cortex-A8",
    (0x41, 0xC09): "Cortex-A9",
    (0x41, 0xC0F): "Cortex-A15",
    (0x41, 0xD03): "Cortex-A53",
    (0x41, 0xD04): "Cortex-A35",
    (0x41, 0xD05): "Cortex-A55",
    (0x41, 0xD07): "Cortex-A57",
    (0x41, 0xD08): "Cortex-A72",
    (0x41, 0xD09): "Cortex-A73",
    (0x41, 0xD0A): "Cortex-A75",
    (0x41, 0xD0B): "Cortex-A76",
    (0x41, 0xD0C): "Neoverse-N1",
    (0x41, 0xD0D): "Cortex-A77",
    (0x41, 0xD40): "Neoverse-V1",
    (0x41, 0xD41): "Cortex-A78",
    (0x41, 0xD44): "Cortex-X1",
    (0x41, 0xD46): "Cortex-A510",
    (0x41, 0xD47): "Cortex-A710",
    (0x41, 0xD48): "Cortex-X2",
    (0x41, 0xD49): "Neoverse-N2",
    (0x41, 0xD4F): "Neoverse-V2",
    (0x41, 0xD80): "Cortex-A520",
    (0x41, 0xD81): "Cortex-A720",
    (0x61, 0x022): "Apple M1 Icestorm",
    (0x61, 0x023): "Apple M1 Firestorm",
    (0xC0, 0xAC3): "Ampere-1",
}

_ARCH_ALIASES = {
    "amd64": "x86_64", "x64": "x86_64", "em64t": "x86_64", "x86-64": "x86_64",
    "arm64": "aarch64",
    "i386": "i686", "i486": "i686", "i586": "i686", "x86": "i686",
}

# Mac sysctl keys -> flag names (hw.optional.* is 1 when present).
_SYSCTL_FLAGS: dict[str, tuple[str, ...]] = {
    "hw.optional.floatingpoint": ("fp",),
    "hw.optional.neon": ("asimd",),
    "hw.optional.AdvSIMD": ("asimd",),
    "hw.optional.neon_fp16": ("fphp", "asimdhp"),
    "hw.optional.arm.FEAT_FP16": ("fphp", "asimdhp"),
    "hw.optional.arm.FEAT_DotProd": ("asimddp",),
    "hw.optional.arm.FEAT_FHM": ("asimdfhm",),
    "hw.optional.armv8_2_fhm": ("asimdfhm",),
    "hw.optional.arm.FEAT_I8MM": ("i8mm",),
    "hw.optional.arm.FEAT_BF16": ("bf16",),
    "hw.optional.arm.FEAT_SME": ("sme",),
    "hw.optional.sse4_1": ("sse4_1",),
    "hw.optional.sse4_2": ("sse4_2",),
    "hw.optional.avx1_0": ("avx",),
    "hw.optional.avx2_0": ("avx2",),
    "hw.optional.fma": ("fma",),
    "hw.optional.f16c": ("f16c",),
    "hw.optional.avx512f": ("avx512f",),
    "hw.optional.avx512bw": ("avx512bw",),
    "hw.optional.avx512vl": ("avx512vl",),
    "hw.optional.avx512vnni": ("avx512_vnni",),
}
# Intel Macs also list features as words in machdep.cpu.features / machdep.cpu.leaf7_features.
_MACHDEP_WORDS = {
    "SSE4.1": "sse4_1", "SSE4.2": "sse4_2", "AVX1.0": "avx", "AVX2": "avx2", "FMA": "fma",
    "F16C": "f16c", "AVX512F": "avx512f", "AVX512BW": "avx512bw", "AVX512VL": "avx512vl",
    "AVX512VNNI": "avx512_vnni",
}

# IsProcessorFeaturePresent ids (winnt.h) -> flag names.
_WIN_FEATURES: dict[int, tuple[str, ...]] = {
    37: ("sse4_1",), 38: ("sse4_2",), 39: ("avx",), 40: ("avx2",), 41: ("avx512f",),
    19: ("asimd",), 29: ("fp", "asimd"), 43: ("asimddp",),
}

# fmt: on

_EDGETPU_NAMES = ("libedgetpu.so.1", "libedgetpu.so.1.0", "libedgetpu.so")

_T = TypeVar("_T")


@dataclass(frozen=True)
class HardwareProfile:
    """One machine as the precision policy sees it. Fields from a fixture describe the captured machine."""

    os: str
    os_version: str
    arch: str
    cpu_model: str
    cpu_flags: frozenset[str]
    cores_logical: int
    cores_usable: int
    ram_bytes: int  # UNKNOWN_RAM (0) when the source does not say
    accelerators: tuple[str, ...] = ()
    board: str = ""
    source: str = "live"  # "live" or the fixture path

    def has(self, *flags: str) -> bool:
        """True when every named flag is present."""
        return all(_FLAG_ALIASES.get(f, f) in self.cpu_flags for f in flags)

    @property
    def int8_accel(self) -> str | None:
        """The best int8 dot-product feature present, or None (int8 then runs on plain SIMD)."""
        return next((name for name in INT8_FEATURES if name in self.cpu_flags), None)

    @property
    def fp16_native(self) -> bool:
        """The CPU computes in fp16 (otherwise fp16 weights are widened to fp32 and only save size)."""
        return any(name in self.cpu_flags for name in FP16_FEATURES)

    @property
    def fingerprint(self) -> str:
        """Short stable hash of what decides speed, for per-machine caches (calibration results)."""
        key = json.dumps([self.arch, self.cpu_model, sorted(self.cpu_flags), self.cores_usable])
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields plus the derived int8_accel, fp16_native and fingerprint."""
        return {
            "os": self.os,
            "os_version": self.os_version,
            "arch": self.arch,
            "cpu_model": self.cpu_model,
            "cpu_flags": sorted(self.cpu_flags),
            "cores_logical": self.cores_logical,
            "cores_usable": self.cores_usable,
            "ram_bytes": self.ram_bytes,
            "accelerators": list(self.accelerators),
            "board": self.board,
            "source": self.source,
            "int8_accel": self.int8_accel,
            "fp16_native": self.fp16_native,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwareProfile:
        """Inverse of to_dict (derived keys are recomputed, not read)."""
        return cls(
            os=str(data.get("os", "")),
            os_version=str(data.get("os_version", "")),
            arch=str(data.get("arch", "")),
            cpu_model=str(data.get("cpu_model", "")),
            cpu_flags=frozenset(data.get("cpu_flags", ())),
            cores_logical=int(data.get("cores_logical", 1)),
            cores_usable=int(data.get("cores_usable", 1)),
            ram_bytes=int(data.get("ram_bytes", UNKNOWN_RAM)),
            accelerators=tuple(data.get("accelerators", ())),
            board=str(data.get("board", "")),
            source=str(data.get("source", "")),
        )

    def describe(self) -> list[str]:
        """Plain sentences for the UI and `assistant hardware`."""
        where = " ".join(p for p in (self.os, self.os_version) if p)
        lines = [f"{self.cpu_model or 'unknown CPU'} ({self.arch}, {where or 'unknown OS'})"]
        if self.board:
            lines.append(f"board: {self.board}")
        noun = "core" if self.cores_usable == 1 else "cores"
        lines.append(f"{self.cores_usable} usable {noun} of {self.cores_logical}")
        if self.ram_bytes:
            lines.append(f"RAM: {self.ram_bytes / 2**30:.1f} GiB")
        else:
            lines.append("RAM: unknown")
        lines.append(f"SIMD: {self._simd_summary()}")
        accel = self.int8_accel
        lines.append(
            f"int8 dot-product: {INT8_FEATURES[accel]}"
            if accel
            else "int8 dot-product: none (int8 runs on plain SIMD)"
        )
        fp16 = next((FP16_FEATURES[n] for n in FP16_FEATURES if n in self.cpu_flags), None)
        lines.append(
            f"native fp16 arithmetic: yes, {fp16}"
            if fp16
            else "native fp16 arithmetic: no (fp16 variants save size, not time)"
        )
        if self.source == "live":
            lines.append("accelerators: " + (", ".join(self.accelerators) or "none found"))
        else:
            lines.append("accelerators: not probed (captured fixture)")
            lines.append(f"source: captured fixture {self.source}")
        return lines

    def _simd_summary(self) -> str:
        f = self.cpu_flags
        if "avx512f" in f:
            return "AVX-512 (avx512f)"
        if "avx2" in f:
            return "AVX2" + (" + FMA" if "fma" in f else "")
        if "avx" in f:
            return "AVX (no AVX2)"
        if "sse4_2" in f:
            return "SSE4.2 (no AVX)"
        if "asimd" in f:
            return "NEON (asimd)" + (" + SVE" if "sve" in f else "")
        return "none detected"


# ----------------------------------------------------------------------------------------- entry point


def detect(cpuinfo_path: str | Path | None = None, sysctl_path: str | Path | None = None) -> HardwareProfile:
    """The profile of this machine, or of a captured fixture. Never raises.

    Explicit arguments win over the ASSISTANT_CPUINFO / ASSISTANT_SYSCTL environment variables.
    """
    started = time.perf_counter()
    source = "live"
    try:
        if cpuinfo_path is None and sysctl_path is None:
            cpuinfo_path = os.environ.get(CPUINFO_ENV) or None
            sysctl_path = os.environ.get(SYSCTL_ENV) or None
        if cpuinfo_path is not None:
            source = str(cpuinfo_path)
            profile = _from_cpuinfo_fixture(Path(cpuinfo_path))
        elif sysctl_path is not None:
            source = str(sysctl_path)
            profile = _from_sysctl_fixture(Path(sysctl_path))
        else:
            profile = _detect_live()
    except Exception:  # noqa: BLE001 - detection must never take the app down
        logger.warning("hardware detection failed; using platform defaults", exc_info=True)
        profile = _fallback_profile(source)
    logger.debug("hardware detected in %.1f ms from %s", (time.perf_counter() - started) * 1000, source)
    return profile


_current: HardwareProfile | None = None


def current_profile() -> HardwareProfile:
    """This machine's profile (or the ASSISTANT_CPUINFO/SYSCTL fixture's), detected once per process."""
    global _current
    if _current is None:
        _current = detect()
    return _current


# ------------------------------------------------------------------------------------- /proc/cpuinfo


@dataclass
class CpuInfo:
    """/proc/cpuinfo split into per-processor entries and the machine-wide lines after them."""

    processors: list[dict[str, str]]
    machine: dict[str, str]

    def get(self, key: str) -> str:
        for proc in self.processors:
            if key in proc:
                return proc[key]
        return self.machine.get(key, "")


def parse_cpuinfo(text: str) -> CpuInfo:
    """Parse /proc/cpuinfo text of any architecture; unknown lines are kept, garbage is skipped."""
    processors: list[dict[str, str]] = []
    machine: dict[str, str] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        if not raw.strip():
            current = None  # a blank line ends a processor entry
            continue
        key, sep, value = raw.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if not key:
            continue
        if key == "processor" and value.isdigit():
            current = {}
            processors.append(current)
        target = current if current is not None else machine
        target.setdefault(key, value)
    return CpuInfo(processors, machine)


def normalise_flags(words: Any) -> frozenset[str]:
    """Keep the inference-relevant flags, under /proc/cpuinfo names."""
    out = set()
    for word in words:
        name = _FLAG_ALIASES.get(word.lower(), word.lower())
        if name in KNOWN_FLAGS:
            out.add(name)
    return frozenset(out)


def normalise_arch(machine: str) -> str:
    """platform.machine()-style names -> one spelling ("arm64" -> "aarch64", "AMD64" -> "x86_64")."""
    name = (machine or "").strip().lower()
    return _ARCH_ALIASES.get(name, name) or "unknown"


def _cpuinfo_flags(info: CpuInfo) -> frozenset[str]:
    """Flags every processor has (x86 `flags`, ARM `Features`); a feature on some cores only is not usable."""
    sets = [
        p.get("flags", p.get("Features", "")).split()
        for p in info.processors
        if "flags" in p or "Features" in p
    ]
    if not sets:
        machine_words = info.machine.get("flags", info.machine.get("Features", ""))
        sets = [machine_words.split()] if machine_words else []
    if not sets:
        return frozenset()
    common = set(sets[0]).intersection(*sets[1:])
    return normalise_flags(common)


def _cpuinfo_arch(info: CpuInfo) -> str:
    """The architecture the captured kernel ran (arm64 kernels print `asimd`, arm32 kernels `neon`)."""
    if info.get("vendor_id") or info.get("flags"):
        return "x86_64" if "lm" in info.get("flags").split() else "i686"
    features = info.get("Features").split()
    if features or info.get("CPU implementer"):
        if "asimd" in features or ("fp" in features and "neon" not in features):
            return "aarch64"
        match = re.search(r"\((v\d+\w*)\)", info.get("model name") or info.get("Processor"))
        if match:
            return "arm" + match.group(1)
        arch = info.get("CPU architecture")
        return "armv7l" if arch.isdigit() and int(arch) >= 7 else "armv6l"
    if info.get("isa").startswith("rv64"):
        return "riscv64"
    if "POWER" in info.get("cpu"):
        return "ppc64le"
    return "unknown"


def _cpuinfo_model(info: CpuInfo) -> str:
    """x86 `model name`; for ARM the core names from the part numbers ("4x Cortex-A55 + 4x Cortex-A76")."""
    parts: Counter[str] = Counter()
    for proc in info.processors:
        if "CPU part" not in proc:
            continue
        try:
            impl = int(proc.get("CPU implementer", "0"), 16)
            part = int(proc["CPU part"], 16)
        except ValueError:
            continue
        parts[ARM_PARTS.get((impl, part), f"ARM part 0x{part:03x} (implementer 0x{impl:02x})")] += 1
    if len(parts) == 1:
        return next(iter(parts))
    if parts:
        return " + ".join(f"{n}x {name}" for name, n in parts.most_common())
    return info.get("model name") or info.get("Processor") or info.get("cpu") or info.get("Hardware") or ""


def _cpuinfo_ram(info: CpuInfo) -> int:
    """`MemTotal:` appended to a fixture (a /proc/meminfo line, in kB)."""
    match = re.match(r"(\d+)\s*kB", info.machine.get("MemTotal", ""), re.IGNORECASE)
    return int(match.group(1)) * 1024 if match else UNKNOWN_RAM


def _from_cpuinfo_fixture(path: Path) -> HardwareProfile:
    info = parse_cpuinfo(_read_fixture(path))
    cores = max(1, len(info.processors))
    return HardwareProfile(
        os="linux",
        os_version="",
        arch=_cpuinfo_arch(info),
        cpu_model=_cpuinfo_model(info),
        cpu_flags=_cpuinfo_flags(info),
        cores_logical=cores,
        cores_usable=cores,
        ram_bytes=_cpuinfo_ram(info),
        accelerators=(),
        board=info.machine.get("Model", ""),
        source=str(path),
    )


# ------------------------------------------------------------------------------------------- sysctl


def parse_sysctl(text: str) -> dict[str, str]:
    """`sysctl -a` output ("key: value", or "key = value" from older tools) -> dict."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.]+)(?::| =)\s?(.*)$", raw.rstrip())
        if match:
            values.setdefault(match.group(1), match.group(2).strip())
    return values


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _sysctl_flags(values: dict[str, str]) -> frozenset[str]:
    flags: set[str] = set()
    for key, names in _SYSCTL_FLAGS.items():
        if _int(values.get(key)) > 0:
            flags.update(names)
    for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features"):
        for word in values.get(key, "").split():
            if word.upper() in _MACHDEP_WORDS:
                flags.add(_MACHDEP_WORDS[word.upper()])
    return frozenset(flags)


def _sysctl_arch(values: dict[str, str]) -> str:
    cputype = _int(values.get("hw.cputype"), -1)
    if _int(values.get("hw.optional.arm64")) == 1 or cputype == 0x0100000C:
        return "aarch64"
    if cputype == 0x01000007 or "Intel" in values.get("machdep.cpu.brand_string", ""):
        return "x86_64"
    if values.get("machdep.cpu.brand_string", "").startswith("Apple"):
        return "aarch64"
    return "unknown"


def _profile_from_sysctl(values: dict[str, str], source: str) -> HardwareProfile:
    logical = _int(values.get("hw.logicalcpu_max")) or _int(values.get("hw.ncpu")) or 1
    usable = _int(values.get("hw.activecpu")) or _int(values.get("hw.logicalcpu")) or logical
    return HardwareProfile(
        os="darwin",
        os_version=values.get("kern.osproductversion", ""),
        arch=_sysctl_arch(values),
        cpu_model=values.get("machdep.cpu.brand_string", ""),
        cpu_flags=_sysctl_flags(values),
        cores_logical=logical,
        cores_usable=max(1, min(usable, logical)),
        ram_bytes=_int(values.get("hw.memsize"), UNKNOWN_RAM),
        accelerators=(),
        board=values.get("hw.model", ""),
        source=source,
    )


def _from_sysctl_fixture(path: Path) -> HardwareProfile:
    return _profile_from_sysctl(parse_sysctl(_read_fixture(path)), str(path))


# --------------------------------------------------------------------------------------- live probes


def _probe(name: str, fn: Callable[[], _T], default: _T) -> _T:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every probe is optional
        logger.debug("hardware probe %s failed: %s", name, exc)
        return default


def _read_fixture(path: Path) -> str:
    """Fixture text; an unreadable file gives "" (a profile of unknowns) and a warning, not an error."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FIXTURE_BYTES)
    except OSError as exc:
        logger.warning("hardware fixture %s cannot be read (%s); its values are unknown", path, exc)
        return ""
    return data.decode("utf-8", errors="replace")


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read(_MAX_FIXTURE_BYTES)


def _live_arch() -> str:
    """The architecture of this Python process (a 32-bit userland on a 64-bit kernel counts as 32-bit)."""
    arch = normalise_arch(platform.machine())
    if struct.calcsize("P") == 4:
        if arch == "aarch64":
            return "armv7l"
        if arch == "x86_64":
            return "i686"
    return arch


def _live_os() -> tuple[str, str]:
    system = (platform.system() or sys.platform).lower()
    return system, platform.release()


def _usable_cores(
    logical: int, cgroup_root: str = "/sys/fs/cgroup", self_cgroup: str = "/proc/self/cgroup"
) -> int:
    """CPUs this process may run on (affinity), capped by a container CPU quota (cgroup v2 or v1)."""
    usable = logical
    if hasattr(os, "sched_getaffinity"):
        usable = _probe("affinity", lambda: len(os.sched_getaffinity(0)), logical)
    quota = _probe("cgroup quota", lambda: _cgroup_cpu_quota(cgroup_root, self_cgroup), None)
    if quota:
        usable = min(usable, max(1, math.ceil(quota)))
    return max(1, usable)


def _cgroup_cpu_quota(cgroup_root: str, self_cgroup: str) -> float | None:
    """CPUs allowed by the cgroup (e.g. `docker --cpus 1.5` -> 1.5); None when unlimited or unknown."""
    try:
        lines = _read_text(self_cgroup).splitlines()
    except OSError:
        lines = []
    v2_path, v1_path = "/", "/"
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2_path = parts[2]
        elif "cpu" in parts[1].split(","):
            v1_path = parts[2]
    root = Path(cgroup_root)
    for rel in dict.fromkeys((v2_path.lstrip("/"), "")):
        cpu_max = root / rel / "cpu.max"
        if cpu_max.is_file():
            quota, _, period = _read_text(str(cpu_max)).strip().partition(" ")
            if quota != "max" and quota.isdigit() and period.isdigit() and int(period) > 0:
                return int(quota) / int(period)
            return None
    for controller in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        for rel in dict.fromkeys((v1_path.lstrip("/"), "")):
            base = root / controller / rel
            quota_file = base / "cpu.cfs_quota_us"
            if quota_file.is_file():
                quota_us = _int(_read_text(str(quota_file)), -1)
                period_us = _int(_read_text(str(base / "cpu.cfs_period_us")), 0)
                if quota_us > 0 and period_us > 0:
                    return quota_us / period_us
                return None
    return None


def _linux_ram() -> int:
    for line in _read_text("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return _posix_ram()


def _posix_ram() -> int:
    return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))


def _linux_edgetpu_library() -> str | None:
    """libedgetpu known to the dynamic loader, without loading it.

    ctypes.util.find_library() would spawn ldconfig and gcc (20-60 ms when the library is absent),
    so the loader cache (what `ldconfig -p` prints) is searched directly; LD_LIBRARY_PATH and, when
    there is no cache (musl), the usual folders are checked for the exact file names.
    """
    try:
        with open("/etc/ld.so.cache", "rb") as fh:
            match = re.search(rb"libedgetpu\.so(?:\.\d+)*", fh.read())
        if match:
            return match.group(0).decode()
        dirs = []
    except OSError:
        dirs = ["/usr/lib", "/usr/local/lib", "/lib", f"/usr/lib/{platform.machine()}-linux-gnu"]
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if d] + dirs
    for directory in dirs:
        for name in _EDGETPU_NAMES:
            if os.path.exists(os.path.join(directory, name)):
                return name
    return None


def _linux_accelerators() -> tuple[str, ...]:
    found = [f"gpu:{p}" for p in sorted(glob.glob("/dev/dri/renderD*"))]
    found += [f"edgetpu:{p}" for p in sorted(glob.glob("/dev/apex_*"))]  # PCIe/M.2 Coral
    lib = _probe("edgetpu library", _linux_edgetpu_library, None)
    if lib:
        found.append(f"edgetpu:{lib}")
    return tuple(found)


def _device_tree_model() -> str:
    with open("/proc/device-tree/model", "rb") as fh:
        return fh.read(256).rstrip(b"\x00").decode("utf-8", errors="replace").strip()


def _detect_linux(base: HardwareProfile) -> HardwareProfile:
    info = _probe("cpuinfo", lambda: parse_cpuinfo(_read_text("/proc/cpuinfo")), CpuInfo([], {}))
    logical = os.cpu_count() or len(info.processors) or 1
    board = info.machine.get("Model", "") or _probe("device-tree model", _device_tree_model, "")
    return HardwareProfile(
        os=base.os,
        os_version=base.os_version,
        arch=base.arch,
        cpu_model=_probe("cpu model", lambda: _cpuinfo_model(info), "") or base.cpu_model,
        cpu_flags=_probe("cpu flags", lambda: _cpuinfo_flags(info), frozenset()),
        cores_logical=logical,
        cores_usable=min(logical, _usable_cores(logical)),
        ram_bytes=_probe("meminfo", _linux_ram, UNKNOWN_RAM),
        accelerators=_probe("accelerators", _linux_accelerators, ()),
        board=board,
        source="live",
    )


def _run_sysctl() -> str:
    exe = "/usr/sbin/sysctl" if os.path.exists("/usr/sbin/sysctl") else "sysctl"
    # Named subtrees rather than -a: the full dump takes far longer than the 50 ms budget.
    result = subprocess.run(
        [exe, "hw", "machdep.cpu", "kern.osproductversion"],
        capture_output=True,
        text=True,
        timeout=_SYSCTL_TIMEOUT_S,
        check=False,
    )
    return result.stdout


def _detect_darwin(base: HardwareProfile) -> HardwareProfile:
    no_values: dict[str, str] = {}
    values = _probe("sysctl", lambda: parse_sysctl(_run_sysctl()), no_values)
    prof = _profile_from_sysctl(values, "live")
    accelerators: list[str] = []
    if base.arch == "aarch64" or prof.arch == "aarch64":
        accelerators.append("apple-neural-engine")  # every Apple Silicon Mac has one
    for lib in ("/opt/homebrew/lib/libedgetpu.1.dylib", "/usr/local/lib/libedgetpu.1.dylib"):
        if os.path.exists(lib):
            accelerators.append(f"edgetpu:{os.path.basename(lib)}")
            break
    logical = prof.cores_logical if values else base.cores_logical
    return HardwareProfile(
        os="darwin",
        os_version=prof.os_version or _probe("mac_ver", lambda: platform.mac_ver()[0], "") or base.os_version,
        arch=base.arch,  # the process arch: x86_64 under Rosetta even on Apple Silicon
        cpu_model=prof.cpu_model or base.cpu_model,
        cpu_flags=prof.cpu_flags,
        cores_logical=logical,
        cores_usable=min(logical, prof.cores_usable if values else base.cores_usable),
        ram_bytes=prof.ram_bytes or _probe("ram", _posix_ram, UNKNOWN_RAM),
        accelerators=tuple(accelerators),
        board=prof.board,
        source="live",
    )


def _windows_flags() -> frozenset[str]:
    import ctypes

    present = ctypes.windll.kernel32.IsProcessorFeaturePresent  # type: ignore[attr-defined]
    flags: set[str] = set()
    for feature, names in _WIN_FEATURES.items():
        if present(feature):
            flags.update(names)
    return frozenset(flags)


def _windows_ram() -> int:
    import ctypes

    class MEMORYSTATUSEX(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MEMORYSTATUSEX()
    status.dwLength = ctypes.sizeof(MEMORYSTATUSEX)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
        return UNKNOWN_RAM
    return int(status.ullTotalPhys)


def _windows_edgetpu() -> tuple[str, ...]:
    import ctypes.util

    return ("edgetpu:edgetpu.dll",) if ctypes.util.find_library("edgetpu") else ()  # PATH search only


def _detect_windows(base: HardwareProfile) -> HardwareProfile:
    # PROCESSOR_IDENTIFIER, not platform.processor(): the latter may query WMI (slow).
    model = os.environ.get("PROCESSOR_IDENTIFIER", "") or base.cpu_model
    return HardwareProfile(
        os="windows",
        os_version=_probe("win version", platform.version, "") or base.os_version,
        arch=base.arch,
        cpu_model=model,
        cpu_flags=_probe("IsProcessorFeaturePresent", _windows_flags, frozenset()),
        cores_logical=base.cores_logical,
        cores_usable=base.cores_usable,
        ram_bytes=_probe("GlobalMemoryStatusEx", _windows_ram, UNKNOWN_RAM),
        accelerators=_probe("edgetpu dll", _windows_edgetpu, ()),
        board="",
        source="live",
    )


def _fallback_profile(source: str = "live") -> HardwareProfile:
    """What platform/os say without any probing; used when everything else failed."""
    system, release = _probe("os", _live_os, ("unknown", ""))
    logical = _probe("cpu_count", lambda: os.cpu_count() or 1, 1)
    return HardwareProfile(
        os=system,
        os_version=release,
        arch=_probe("arch", _live_arch, "unknown"),
        cpu_model="",
        cpu_flags=frozenset(),
        cores_logical=logical,
        cores_usable=logical,
        ram_bytes=UNKNOWN_RAM,
        accelerators=(),
        board="",
        source=source,
    )


def _detect_live() -> HardwareProfile:
    base = _fallback_profile("live")
    if base.os == "linux":
        return _detect_linux(base)
    if base.os == "darwin":
        return _detect_darwin(base)
    if base.os == "windows":
        return _detect_windows(base)
    return HardwareProfile(
        os=base.os,
        os_version=base.os_version,
        arch=base.arch,
        cpu_model=base.cpu_model,
        cpu_flags=base.cpu_flags,
        cores_logical=base.cores_logical,
        cores_usable=_usable_cores(base.cores_logical),
        ram_bytes=_probe("ram", _posix_ram, UNKNOWN_RAM),
        accelerators=(),
        board="",
        source="live",
    )


def process_status_kb(key: str) -> int | None:
    """A kB figure of this process from /proc/self/status (VmRSS, VmHWM); None where there is none (macOS,
    Windows). The factory's memory probe, the startup probe and the soak scripts read it here."""
    try:
        match = re.search(rf"^{key}:\s+(\d+)\s+kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def resident_mb() -> float:
    """This process's resident set in MB (NaN where /proc is missing)."""
    kb = process_status_kb("VmRSS")
    return kb / 1024 if kb is not None else float("nan")
