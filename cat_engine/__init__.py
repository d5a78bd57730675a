"""cat_engine: the psychometric core of a computerized adaptive testing system.

Pure and synchronous, no I/O: :mod:`~cat_engine.irt` (models), :mod:`~cat_engine.pool` (item pools),
:mod:`~cat_engine.estimation`, :mod:`~cat_engine.selection`, :mod:`~cat_engine.stopping`,
:mod:`~cat_engine.battery` (batteries and profiles), :mod:`~cat_engine.session` (the sans-I/O state machine),
:mod:`~cat_engine.simulate` (simulation studies) and :mod:`~cat_engine.errors` (the one exception tree).
"""

__all__: list[str] = []
