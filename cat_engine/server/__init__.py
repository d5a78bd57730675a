"""The live server: the I/O layer around the pure core.

Layers, each one module:

* :mod:`.settings` - settings from the environment.
* :mod:`.store`, :mod:`.memory_store`, :mod:`.redis_store` - the session store interface and its two twins.
* :mod:`.frames` - decoding and validating client frames, building server frames (what a candidate may see).
* :mod:`.sessions` - the candidate and proctor use cases: load, apply a core transition, commit, reply.
* :mod:`.candidate_ws`, :mod:`.proctor_ws` - the WebSocket endpoints (the I/O pumps).
* :mod:`.admin` - the admin HTTP API; :mod:`.auth` - tokens; :mod:`.metrics` - Prometheus metrics.
* :mod:`.app` - the Starlette app factory with its lifespan; :mod:`.demo` - the embedded demo room.

asyncio lives here and only here; :mod:`cat_engine` core modules never import from this package.
"""
