"""The conda environments of the jobs (envs/*.yaml, used with --sdm conda) pin what pyproject.toml pins: a package
listed in both has the same version, and each environment installs this library."""
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)$")


def pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = PIN.match(line.strip())
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


PROJECT = pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


@pytest.mark.parametrize("env", sorted(p.name for p in (ROOT / "envs").glob("*.yaml")))
def test_environment_pins_agree_with_pyproject(env):
    spec = yaml.safe_load((ROOT / "envs" / env).read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    env_pins = pins(pip)
    differ = {k: (v, PROJECT.get(k)) for k, v in env_pins.items() if PROJECT.get(k) != v}
    assert not differ, f"envs/{env} pins differ from pyproject.toml (env, pyproject): {differ}"
    assert any(line.split()[-1] == "../" for line in pip), f"envs/{env} does not install the library (-e ../)"
    assert "torch==2.13.0" == f"torch=={PROJECT['torch']}"
