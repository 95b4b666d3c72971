"""The runtime's bfloat16 check: native bfloat16 instructions only, overridable."""

import pytest

from patchlab import runtime

EPYC_AVX2 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx avx2 fma f16c\n\n"
XEON_BF16 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n"
SAPPHIRE = "processor\t: 0\nflags\t\t: avx2 avx512f amx_bf16 amx_tile\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd bf16 sve\n"


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv("PATCHLAB_BFLOAT16", raising=False)


def test_only_cpus_with_bfloat16_instructions_count():
    assert not runtime.fast_bfloat16(EPYC_AVX2)
    assert runtime.fast_bfloat16(XEON_BF16)
    assert runtime.fast_bfloat16(SAPPHIRE)
    assert not runtime.fast_bfloat16(ARM)  # the check knows x86 flags only; PATCHLAB_BFLOAT16=1 elsewhere
    assert not runtime.fast_bfloat16("")
    assert not runtime.fast_bfloat16("model name\t: avx512_bf16 in the name is not a flag\n")


def test_the_environment_overrides_the_check(monkeypatch):
    monkeypatch.setenv("PATCHLAB_BFLOAT16", "1")
    assert runtime.fast_bfloat16(EPYC_AVX2)
    monkeypatch.setenv("PATCHLAB_BFLOAT16", "0")
    assert not runtime.fast_bfloat16(XEON_BF16)
    monkeypatch.setenv("PATCHLAB_BFLOAT16", "maybe")  # not 0 or 1: the CPU decides
    assert runtime.fast_bfloat16(XEON_BF16)


def test_this_machine_gets_an_answer_without_raising():
    assert isinstance(runtime.fast_bfloat16(), bool)


def test_the_training_command_warns_where_bfloat16_is_emulated(monkeypatch, capsys):
    from patchlab.inpainting import train

    monkeypatch.setenv("PATCHLAB_BFLOAT16", "0")
    monkeypatch.setattr(train, "train_inpainter", lambda config: {"model": "m", "steps_done": 0, "wall_time_s": 0})
    train.main(["--bfloat16", "--no-eval", "--steps", "1", "--out", "/tmp/never-written.keras"])
    assert "no bfloat16 instructions" in capsys.readouterr().err
    train.main(["--no-eval", "--steps", "1", "--out", "/tmp/never-written.keras"])
    assert "bfloat16" not in capsys.readouterr().err
