"""A reviewer's archive of what the expensive jobs made (lminterp/report/archive.py).

    ./repro archive [--configfile FILE ...] [--output FILE]   pack the results directory of this config
    ./repro unpack ARCHIVE [--configfile FILE ...]            verify and unpack it here (a fresh clone)

After unpacking, `./repro build all` (with the config the archive names) plans no training, generation,
scoring or perplexity job, and rebuilds every figure, table, check, the claims and the report from the files."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from snakemake.utils import update_config  # noqa: E402

from lminterp.version import __version__  # noqa: E402
from lminterp.report import archive as A  # noqa: E402
from lminterp.config import ConfigError, validate_config  # noqa: E402


def resolved_config(configfiles) -> dict:
    """config.yaml with the --configfile overlays merged over it as Snakemake merges them, validated."""
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text()) or {}
    for f in configfiles or ():
        if not Path(f).is_file():
            raise ConfigError(f"--configfile {f}: no such file")
        update_config(cfg, yaml.safe_load(Path(f).read_text()) or {})
    return validate_config(cfg)


def commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="pack the results directory into one archive")
    p.add_argument("--configfile", nargs="+", default=[])
    p.add_argument("--output", default=None, help="default: lminterp-<world>-results.tar.gz")
    u = sub.add_parser("unpack", help="verify and unpack an archive into this directory")
    u.add_argument("archive")
    u.add_argument("--configfile", nargs="+", default=[])
    args = ap.parse_args(argv)
    try:
        cfg = resolved_config(args.configfile)
        if args.cmd == "pack":
            out = args.output or f"lminterp-{cfg['world']}-results.tar.gz"
            desc = A.pack(cfg["results_dir"], out, cfg, {"lminterp_version": __version__, "git_commit": commit(),
                                                         "world": cfg["world"]})
            print(f"{out}: {desc['files']} files, {desc['bytes'] / 1e6:.1f} MB ({', '.join(f'{k} {v}' for k, v in desc['files_per_kind'].items())})")
            return 0
        desc = A.unpack(args.archive, ".")
    except (A.ArchiveError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"unpacked {desc['files']} files into {desc['results_dir']}/ (checksums verified; made by lminterp "
          f"{desc.get('lminterp_version')}, commit {desc.get('git_commit')})")
    if desc["config"] == cfg:
        print("the archive was made with this configuration: ./repro build all")
    else:
        differ = sorted(k for k in set(desc["config"]) | set(cfg) if desc["config"].get(k) != cfg.get(k))
        print(f"the archive was made with another configuration (keys {', '.join(differ)} differ): build with\n"
              f"  ./repro build all --configfile {desc['config_path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
