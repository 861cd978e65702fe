"""Analytical baselines: pure, vectorised numpy, no Mesa.

Modules:
    openness_game: closed forms of the openness-regulation game (Model I).
    bargaining: stage-1 revenue-share rules for Model I.
    landscape: region map, indifference curve and lever map over policy grids.
    generic_solver: numerical backward induction for user-supplied utilities.
    race: the open-vs-closed race (Model II).
    open_sourcing: the open-sourcing decision against firm size (Model III).
"""
