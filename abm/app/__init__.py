"""Interactive teaching app (Solara) for the openness market; extra ``app``.

``abm app`` starts it; :mod:`abm.app.page` holds the page (one model per browser session),
:mod:`abm.app.session` a session's model and play loop, :mod:`abm.app.views` the plots and
:mod:`abm.app.launch` the server.
Nothing here is imported by the rest of the package, so the core install stays light.
"""
