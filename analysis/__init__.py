"""Studies: one script per figure set of the seed documents' findings (see ``_common``).

This module is the studies' registry: :data:`STUDIES` maps each study's name to its module,
:data:`SUMMARIES` gives the one-line help, and :func:`resolve` accepts a name, a module name or
a number. It imports nothing heavy (``abm --help`` reads it), and nothing from ``abm.cli``:
``abm study`` finds this registry and the study modules by name, through
:func:`importlib.import_module`, so the library never imports the studies statically (see
``docs/architecture.md``).
"""

from __future__ import annotations

#: Study name -> module, in order (1–10).
STUDIES: dict[str, str] = {
    "openness": "analysis.openness_without_regulation",
    "landscape": "analysis.regulatory_landscape",
    "levers": "analysis.lever_map",
    "race": "analysis.race",
    "firm-size": "analysis.firm_size",
    "learning": "analysis.learning_convergence",
    "policy": "analysis.policy_over_time",
    "information": "analysis.information",
    "evidence": "analysis.evidence",
    "collusion": "analysis.collusion",
}

#: One-line summaries for ``abm study --help`` (kept here so help needs no heavy import).
SUMMARIES: dict[str, str] = {
    "openness": "1. analytical ω⁰ against α0 for several ε, learned market openness overlaid",
    "landscape": "2. (θ, p) outcome maps, analytical vs simulated, weak and strong model",
    "levers": "3. lever map over (α0, θ): penalty needed to make each threshold bind",
    "race": "4. upgrade gain / optimal spend vs open catch-up; closed compute over time",
    "firm-size": "5. propensity to open against share of applications, inverted U",
    "learning": "6. convergence of each learning rule to the analytical openness",
    "policy": "7. fan charts under no regulation, a static rule and an adaptive regulator",
    "information": "8. learned ω under experienced vs counterfactual information, SPE vs Nash",
    "evidence": "9. real releases (Epoch AI, CC BY 4.0): openness vs the compute frontier",
    "collusion": "10. Calvano et al.'s Q-learning duopoly: sessions, convergence, profit gain Δ",
}


def resolve(name: str) -> str:
    """The study name for ``name`` (a name, a module name or its number).

    Raises:
        ParameterError: ``name`` is none of these.
    """
    names = list(STUDIES)
    if name.isdigit() and 1 <= int(name) <= len(names):
        return names[int(name) - 1]
    for key, module in STUDIES.items():
        if name in (key, module.rsplit(".", 1)[1]):
            return key
    from abm.errors import ParameterError

    raise ParameterError(
        f"study must be one of {', '.join(names)} (or 1–{len(names)}), got {name!r}"
    )
