"""Analytical baselines: pure, vectorised numpy, no Mesa.

Modules:
    openness_game: closed forms of the openness-regulation game (Model I).
    bargaining: stage-1 revenue-share rules for Model I.
    outcomes: what a regulation does: outcome classes against the unregulated game (Model I).
    landscape: region map, indifference curve and lever map over policy grids.
    generic_solver: numerical backward induction for user-supplied utilities.
    defaults: Model I's default numbers and the bargaining rules' names, stated once.
    optimise: vectorised bounded maximisation (grid, golden section, Newton polishing).
    race: the open-vs-closed race (Model II).
    race_cases: Model II one case at a time (what ``abm race`` and the race study ask).
    value_functions: Model II's value functions of compute.
    open_sourcing: the open-sourcing decision against firm size (Model III).
"""
