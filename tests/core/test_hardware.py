"""Hardware detection: the committed captures give the right profile; bad input never raises."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pytest

from assistant.core.inference import hardware
from assistant.core.inference.hardware import KNOWN_FLAGS, UNKNOWN_RAM, HardwareProfile, detect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hardware"

# fmt: off
# fixture -> (arch, cpu_model, cores, exact flags, int8_accel, fp16_native, board, ram_bytes, os)
EXPECTED = {
    "x86_server.cpuinfo": (
        "x86_64", "AMD EPYC", 2, {"sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c"}, None, False, "",
        UNKNOWN_RAM, "linux",
    ),
    "x86_avx512_vnni.cpuinfo": (
        "x86_64", "AMD EPYC", 2,
        {"sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
         "avx_vnni", "avx512_bf16"}, "avx512_vnni", False, "", UNKNOWN_RAM, "linux",
    ),
    "x86_no_avx2.cpuinfo": (
        "x86_64", "Intel(R) Core(TM) i5-2400 CPU @ 3.10GHz", 4, {"sse4_1", "sse4_2", "avx"}, None, False, "",
        UNKNOWN_RAM, "linux",
    ),
    "rpi4.cpuinfo": (
        "aarch64", "Cortex-A72", 4, {"fp", "asimd"}, None, False, "Raspberry Pi 4 Model B Rev 1.1",
        UNKNOWN_RAM, "linux",
    ),
    "rpi5.cpuinfo": (
        "aarch64", "Cortex-A76", 4, {"fp", "asimd", "fphp", "asimdhp", "asimddp"}, "asimddp", True,
        "Raspberry Pi 5 Model B Rev 1.0", UNKNOWN_RAM, "linux",
    ),
    "apple_m1.sysctl": (
        "aarch64", "Apple M1", 8, {"fp", "asimd", "fphp", "asimdhp", "asimddp", "asimdfhm"}, "asimddp", True, "",
        16 * 1024**3, "darwin",
    ),
}
# fmt: on


def _detect_fixture(name: str) -> HardwareProfile:
    path = FIXTURES / name
    return detect(sysctl_path=path) if name.endswith(".sysctl") else detect(cpuinfo_path=path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_profile(name):
    arch, model, cores, flags, int8, fp16, board, ram, os_name = EXPECTED[name]
    p = _detect_fixture(name)
    assert p.arch == arch
    assert p.cpu_model == model
    assert p.cores_logical == cores and p.cores_usable == cores
    assert p.cpu_flags == frozenset(flags)
    assert p.int8_accel == int8
    assert p.fp16_native is fp16
    assert p.board == board
    assert p.ram_bytes == ram
    assert p.os == os_name
    assert p.accelerators == ()  # never taken from the live machine for a fixture
    assert p.source == str(FIXTURES / name)


def test_flag_details():
    no_avx2 = _detect_fixture("x86_no_avx2.cpuinfo")
    assert no_avx2.has("avx", "sse4_2") and not no_avx2.has("avx2") and not no_avx2.has("avx", "fma")
    rpi5 = _detect_fixture("rpi5.cpuinfo")
    assert rpi5.has("asimddp", "asimdhp") and not rpi5.has("i8mm") and not rpi5.has("bf16")
    m1 = _detect_fixture("apple_m1.sysctl")
    assert not m1.has("i8mm") and not m1.has("bf16")  # M1 reports FEAT_I8MM: 0 and FEAT_BF16: 0
    # Irrelevant or mitigation flags from the raw text are not kept.
    server = _detect_fixture("x86_server.cpuinfo")
    assert "sha_ni" not in server.cpu_flags and "lm" not in server.cpu_flags
    assert server.cpu_flags <= KNOWN_FLAGS


def test_describe_uses_words():
    rpi5 = _detect_fixture("rpi5.cpuinfo").describe()
    assert "4 usable cores of 4" in rpi5
    assert "int8 dot-product: ARMv8.2 dotprod (asimddp)" in rpi5
    assert "board: Raspberry Pi 5 Model B Rev 1.0" in rpi5
    assert "RAM: unknown" in rpi5
    rpi4 = _detect_fixture("rpi4.cpuinfo").describe()
    assert "int8 dot-product: none (int8 runs on plain SIMD)" in rpi4
    assert "native fp16 arithmetic: no (fp16 variants save size, not time)" in rpi4
    m1 = _detect_fixture("apple_m1.sysctl").describe()
    assert "RAM: 16.0 GiB" in m1 and "8 usable cores of 8" in m1
    assert "SIMD: AVX (no AVX2)" in _detect_fixture("x86_no_avx2.cpuinfo").describe()


def test_env_vars_select_fixture(monkeypatch):
    monkeypatch.setenv("ASSISTANT_CPUINFO", str(FIXTURES / "rpi4.cpuinfo"))
    assert detect().cpu_model == "Cortex-A72"
    monkeypatch.delenv("ASSISTANT_CPUINFO")
    monkeypatch.setenv("ASSISTANT_SYSCTL", str(FIXTURES / "apple_m1.sysctl"))
    p = detect()
    assert (p.os, p.cpu_model, p.source) == ("darwin", "Apple M1", str(FIXTURES / "apple_m1.sysctl"))
    # An explicit argument wins over the environment.
    assert detect(cpuinfo_path=FIXTURES / "rpi5.cpuinfo").cpu_model == "Cortex-A76"


def test_memtotal_line_appended_to_fixture_gives_ram(tmp_path):
    path = tmp_path / "rpi4_with_ram.cpuinfo"
    path.write_text((FIXTURES / "rpi4.cpuinfo").read_text() + "MemTotal:        3884968 kB\n")
    p = detect(cpuinfo_path=path)
    assert p.ram_bytes == 3884968 * 1024
    assert p.cpu_model == "Cortex-A72" and p.cores_logical == 4


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff\xfe garbage \x89PNG\r\n\x1a\n" * 50,
        b"processor : x\nCPU part : zz\nflags\n:::\n",
        b"\n\n\n",
    ],
    ids=["empty", "binary", "broken", "blank"],
)
@pytest.mark.parametrize("kind", ["cpuinfo", "sysctl"])
def test_bad_fixture_still_gives_a_profile(tmp_path, content, kind):
    path = tmp_path / f"bad.{kind}"
    path.write_bytes(content)
    p = detect(cpuinfo_path=path) if kind == "cpuinfo" else detect(sysctl_path=path)
    assert isinstance(p, HardwareProfile)
    assert p.cores_usable >= 1 and p.cores_logical >= 1
    assert p.source == str(path)
    assert p.int8_accel is None
    json.dumps(p.to_dict())
    assert p.describe()


def test_missing_fixture_still_gives_a_profile(tmp_path, monkeypatch):
    missing = tmp_path / "does-not-exist.cpuinfo"
    monkeypatch.setenv("ASSISTANT_CPUINFO", str(missing))
    p = detect()
    assert p.source == str(missing) and p.arch == "unknown" and p.cores_usable == 1
    assert detect(sysctl_path=tmp_path / "nope.sysctl").os == "darwin"
    assert detect(cpuinfo_path=tmp_path).cores_usable == 1  # a directory, not a file


def test_detect_never_raises_when_a_platform_probe_breaks(monkeypatch):
    def boom(*_args):
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(hardware, "_detect_linux", boom)
    monkeypatch.setattr(hardware, "_detect_darwin", boom)
    monkeypatch.setattr(hardware, "_detect_windows", boom)
    p = detect()
    assert p.source == "live" and p.cores_usable >= 1
    assert p.os == platform.system().lower()


def test_live_profile_is_sane():
    p = detect()
    assert p.source == "live"
    assert p.os == platform.system().lower()
    assert p.arch == hardware.normalise_arch(platform.machine()) or p.arch in ("armv7l", "i686")
    assert 1 <= p.cores_usable <= p.cores_logical
    assert p.cores_logical == (os.cpu_count() or 1)
    assert p.cpu_flags <= KNOWN_FLAGS
    assert all(isinstance(a, str) and ":" in a or a == "apple-neural-engine" for a in p.accelerators)
    if p.os == "linux":
        assert p.ram_bytes > 0 and p.cpu_model
        assert p.cores_usable <= len(os.sched_getaffinity(0))
        if p.arch == "x86_64":
            assert "sse4_2" in p.cpu_flags or not Path("/proc/cpuinfo").read_text().count("sse4_2")


def test_live_detection_is_fast():
    detect()
    best = min(_timed(detect) for _ in range(5))
    assert best < 0.050, f"detect() took {best * 1000:.1f} ms"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_to_dict_is_json_and_round_trips():
    for name in EXPECTED:
        p = _detect_fixture(name)
        data = json.loads(json.dumps(p.to_dict()))
        assert data["cpu_flags"] == sorted(p.cpu_flags)
        assert data["int8_accel"] == p.int8_accel and data["fingerprint"] == p.fingerprint
        assert HardwareProfile.from_dict(data) == p
    json.dumps(detect().to_dict())


def test_fingerprint_stable_and_distinct():
    prints = {name: _detect_fixture(name).fingerprint for name in EXPECTED}
    assert len(set(prints.values())) == len(prints)
    assert all(_detect_fixture(name).fingerprint == fp for name, fp in prints.items())
    assert detect().fingerprint == detect().fingerprint
    # Fewer usable cores is a different machine for calibration purposes.
    m1 = _detect_fixture("apple_m1.sysctl")
    fewer = HardwareProfile.from_dict({**m1.to_dict(), "cores_usable": 4})
    assert fewer.fingerprint != m1.fingerprint
    # The source path (and RAM, accelerators) do not change it.
    moved = HardwareProfile.from_dict({**m1.to_dict(), "source": "/elsewhere/m1.sysctl", "ram_bytes": 1})
    assert moved.fingerprint == m1.fingerprint


def test_int8_accel_prefers_the_strongest_feature():
    base = _detect_fixture("x86_server.cpuinfo").to_dict()

    def with_flags(*flags):
        return HardwareProfile.from_dict({**base, "cpu_flags": list(flags)})

    assert with_flags("avx2", "avx_vnni").int8_accel == "avx_vnni"
    assert with_flags("avx_vnni", "avx512_vnni").int8_accel == "avx512_vnni"
    assert with_flags("avx512_vnni", "amx_int8").int8_accel == "amx_int8"
    assert with_flags("asimddp", "i8mm").int8_accel == "i8mm"
    assert with_flags("avx512_fp16").fp16_native
    assert not with_flags("avx2", "f16c").fp16_native  # f16c converts, it does not compute in fp16


def test_arm_variants_parse_from_kernel_text():
    rpi5_block = (FIXTURES / "rpi5.cpuinfo").read_text().split("\n\n")[0]
    a55_block = rpi5_block.replace("0xd0b", "0xd05").replace("variant\t: 0x4", "variant\t: 0x2")
    big_little = "\n\n".join(
        [a55_block.replace("processor\t: 0", f"processor\t: {i}") for i in range(4)]
        + [rpi5_block.replace("processor\t: 0", f"processor\t: {i}") for i in range(4, 6)]
    )
    info = hardware.parse_cpuinfo(big_little)
    assert hardware._cpuinfo_model(info) == "4x Cortex-A55 + 2x Cortex-A76"
    # A feature missing on one core is not usable by a thread that may run there.
    uneven = big_little.replace(" asimddp", "", 1)
    assert "asimddp" not in hardware._cpuinfo_flags(hardware.parse_cpuinfo(uneven))
    # A 32-bit kernel (Raspberry Pi 3 on Raspbian) names NEON 'neon' and prints a model name.
    armv7 = (
        "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\nBogoMIPS\t: 38.40\n"
        "Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32\n"
        "CPU implementer\t: 0x41\nCPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xd03\nCPU revision\t: 4\n\n"
        "Hardware\t: BCM2835\nRevision\t: a02082\nModel\t\t: Raspberry Pi 3 Model B Rev 1.2\n"
    )
    info = hardware.parse_cpuinfo(armv7)
    assert hardware._cpuinfo_arch(info) == "armv7l"
    assert hardware._cpuinfo_model(info) == "Cortex-A53"
    assert hardware._cpuinfo_flags(info) == {"asimd"}


def test_normalise_arch():
    assert hardware.normalise_arch("AMD64") == "x86_64"
    assert hardware.normalise_arch("arm64") == "aarch64"
    assert hardware.normalise_arch("aarch64") == "aarch64"
    assert hardware.normalise_arch("armv7l") == "armv7l"
    assert hardware.normalise_arch("") == "unknown"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux-only probe")
def test_cgroup_cpu_quota_caps_usable_cores(tmp_path):
    self_cgroup = tmp_path / "self_cgroup"
    root = tmp_path / "cgroup"
    # cgroup v2: `docker --cpus 1.5` writes "150000 100000".
    (root / "app.slice").mkdir(parents=True)
    (root / "app.slice" / "cpu.max").write_text("150000 100000\n")
    self_cgroup.write_text("0::/app.slice\n")
    assert hardware._usable_cores(64, str(root), str(self_cgroup)) == min(2, len(os.sched_getaffinity(0)))
    (root / "app.slice" / "cpu.max").write_text("max 100000\n")
    assert hardware._cgroup_cpu_quota(str(root), str(self_cgroup)) is None
    # cgroup v1
    v1 = tmp_path / "v1"
    (v1 / "cpu,cpuacct").mkdir(parents=True)
    (v1 / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("300000\n")
    (v1 / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    self_cgroup.write_text("4:cpu,cpuacct:/\n1:name=systemd:/\n")
    assert hardware._cgroup_cpu_quota(str(v1), str(self_cgroup)) == 3.0
    (v1 / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("-1\n")
    assert hardware._cgroup_cpu_quota(str(v1), str(self_cgroup)) is None
