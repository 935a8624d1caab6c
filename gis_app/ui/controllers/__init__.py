"""The window's features, one controller each: widgets, actions and reactions to the session.

A controller gets the window (its session, layers, canvas, state and translator) and declares
its docks and actions as data (:class:`DockSpec`, :class:`ActionSpec`); the window registers
them from :data:`gis_app.ui.registry.CONTROLLERS`. A new feature is one controller and one line
there.
"""
