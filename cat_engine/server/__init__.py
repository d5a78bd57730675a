"""The live server: the I/O layer around the pure core.

Modules, one job each:

* :mod:`.settings` - settings from the environment.
* :mod:`.wire_errors` - the one table of wire errors (code, close code, HTTP status, retry, texts) and
  :class:`~.wire_errors.Refusal`, the one exception for them.
* :mod:`.decoding` - client frames in: size, JSON, type and every field checked before anything runs.
* :mod:`.frames` - server frames out: what a candidate may see, and the proctor's frames.
* :mod:`.store`, :mod:`.memory_store`, :mod:`.redis_store` (with :mod:`.redis_scripts`) - the session store
  interface, its rules, and its twins.
* :mod:`.transaction` - the loop every change goes through: load, pure core step, atomic commit, remember.
* :mod:`.candidate`, :mod:`.proctor` - the candidate's and the proctor's use cases, as steps of that loop.
* :mod:`.audit` - what the audit log records (a hash chain per session); :mod:`.evidence` - the signed evidence
  bundle of a room (``cat-verify`` replays it); :mod:`.results` - results and result rows for the HR system;
  :mod:`.spreadsheet` - spreadsheet-safe CSV and XLSX.
* :mod:`.integrity` - a room's integrity report; :mod:`.room_watch` - the room-level integrity flags, live;
  :mod:`.responses` - a room's responses export for item calibration (``cat-calibrate``).
* :mod:`.rooms` - rooms and rosters (strict names and ids); :mod:`.tokens` - replacing lost tokens;
  :mod:`.sealed` - replies kept encrypted with the client's idempotency key.
* :mod:`.connection`, :mod:`.candidate_ws`, :mod:`.proctor_ws` - the WebSocket endpoints (the I/O pumps).
* :mod:`.hub` - what one process shares between its connections; :mod:`.limits` - limits per client address and
  per token; :mod:`.admin` - the admin HTTP API; :mod:`.auth` - tokens and ids; :mod:`.metrics` - Prometheus
  metrics, summed over a host's processes; :mod:`.loop_lag` - the event-loop lag gauge; :mod:`.pages` - the
  browser pages; :mod:`.headers` - headers on every HTTP response.
* :mod:`.app` - the Starlette app factory with its lifespan; :mod:`.demo` - the embedded demo room.

How one answer flows: :mod:`.connection` reads the frame off the socket (flood limit) and hands it to
:mod:`.candidate_ws`, which decodes it (:mod:`.decoding`; a bad frame ends here as a :class:`~.wire_errors.Refusal`)
and calls :meth:`.candidate.CandidateCases.answer`. That runs one step of :class:`.transaction.Transactions`: the
session is loaded (or taken from what this process last wrote), the step decides with the pure core
(:func:`cat_engine.session.answer`: score, estimate, stop, select) or answers a resend from the stored reply, and the
change is committed in one atomic write (:meth:`.store.Store.commit`: state, reply, :mod:`.audit` entries, room
events ending with the session's :mod:`cat_engine.view` summary, result). Only then does :mod:`.candidate_ws` send
the reply frame (:mod:`.frames`) and observe the answer's latency (:mod:`.metrics`); proctors read the room events
from the store (:mod:`.proctor_ws`).

asyncio lives here and only here; :mod:`cat_engine` core modules never import from this package.
"""
