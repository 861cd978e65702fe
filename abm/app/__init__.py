"""Interactive teaching app (Mesa SolaraViz) for the openness market; extra ``app``.

``abm app`` starts it; :mod:`abm.app.page` holds the page, :mod:`abm.app.launch` the server.
Nothing here is imported by the rest of the package, so the core install stays light.
"""
