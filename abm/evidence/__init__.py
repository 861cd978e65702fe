"""Evidence: real model-release data as a yardstick for the simulator's stylised facts.

Pure pandas, numpy, networkx (statsmodels for the fits); no Mesa, nothing above this layer.

Modules:
    models: Epoch AI's Notable AI Models snapshot (shipped in ``abm/data``) as a tidy table
        with an ordinal openness score, the compute frontier and the gap to it, organisation
        type and big tech; the fine-tune graph (base → derivative).
    findings: the seeds' stylised facts measured on that table (open share against the gap to
        the frontier, the propensity logit, the closed–open compute gap over time, the
        concentration of derivatives).
"""

from abm.evidence.models import (
    ACCESS_OPENNESS,
    BIG_TECH,
    CODE_BONUS,
    CREDIT,
    finetune_graph,
    load_models,
    read_raw,
    tidy,
)

__all__ = [
    "ACCESS_OPENNESS",
    "BIG_TECH",
    "CODE_BONUS",
    "CREDIT",
    "finetune_graph",
    "load_models",
    "read_raw",
    "tidy",
]
