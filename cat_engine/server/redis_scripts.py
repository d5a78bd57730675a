"""The Lua scripts of the Redis store: every write that must be atomic, one script each.

Each script names its keys and arguments above it. All keys of one call carry the same ``{room_id}`` hash tag, so
a script runs on one node of a Redis Cluster as on a single Redis. The expiry rules they apply are those of
:mod:`.redis_store` (module docstring, "Expiry").
"""

from __future__ import annotations

__all__ = [
    "ACK",
    "ADD",
    "AUDIT",
    "CHAIN",
    "COMMIT",
    "HEAD_FIELD",
    "NEXT",
    "NOISE_FIELDS",
    "PTOKEN",
    "ROOM",
    "ROOM_PARTS",
    "TOKEN",
]

# The session hash's field holding the audit chain's head (the hash after the last entry; absent before the first,
# and in a session written before the audit was chained)
HEAD_FIELD = "audit_head"

# The room's own keys, in the order the scripts take them (after their other keys): each script keeps them alive
# together (:mod:`.redis_store`, "Expiry").
ROOM_PARTS = ("room", "sessions", "employees", "unacked")

# Keeps the room's keys (KEYS[first] .. KEYS[first + 3], as ROOM_PARTS) alive for ``ttl`` more seconds: an expiry
# only moves later, a key just created gets one, and while the room has unacknowledged results (its unacked set is
# not empty) the keys keep no expiry at all.
_KEEP_ROOM = """
local function keep_room(first, ttl)
  if redis.call('SCARD', KEYS[first + 3]) > 0 then return end
  for k = first, first + 2 do
    local left = redis.call('TTL', KEYS[k])
    if left == -1 or (left >= 0 and left < ttl) then redis.call('EXPIRE', KEYS[k], ttl) end
  end
end
"""

# The session hash's fields of store.NoiseBudget, in its order (minute, audit, events, total_audit, total_events,
# dropped_audit, dropped_events, told_minute, summaries)
NOISE_FIELDS = (
    "noise_min",
    "noise_a",
    "noise_e",
    "noise_ta",
    "noise_te",
    "noise_da",
    "noise_de",
    "noise_told",
    "noise_n",
)

# admit_noise(session key, now ms, {per minute, lifetime minutes, summaries}, n audit, n events) -> keep audit,
# keep events, tell: the rule of store.NoiseBudget.admit, on the session hash's NOISE_FIELDS; when ``tell`` the caller
# appends the summary entry (store.suppressed_entry, sent by the process with its chain hashes)
_ADMIT_NOISE = (
    "local NOISE_FIELDS = {"
    + ", ".join(f"'{f}'" for f in NOISE_FIELDS)
    + """}
local function admit_noise(skey, now_ms, limits, n_a, n_e)
  local f = redis.call('HMGET', skey, unpack(NOISE_FIELDS))
  local v = {}
  for i = 1, #NOISE_FIELDS do v[i] = tonumber(f[i]) or 0 end
  if f[1] == false then v[1] = -1 end
  if f[8] == false then v[8] = -1 end
  local per_minute, lifetime_minutes = limits[1], limits[2]
  local lifetime = per_minute * lifetime_minutes
  local minute = math.floor(now_ms / 60000)
  if v[1] ~= minute then v[1], v[2], v[3] = minute, 0, 0 end
  local keep_a = v[2] + n_a <= per_minute and v[4] + n_a <= lifetime
  local keep_e = v[3] + n_e <= per_minute and v[5] + n_e <= lifetime
  if keep_a then v[2], v[4] = v[2] + n_a, v[4] + n_a else v[6] = v[6] + n_a end
  if keep_e then v[3], v[5] = v[3] + n_e, v[5] + n_e else v[7] = v[7] + n_e end
  local held = (n_a > 0 and not keep_a) or (n_e > 0 and not keep_e)
  local tell = false
  if held and v[8] ~= minute and v[9] < limits[3] then
    v[8], v[9], tell = minute, v[9] + 1, true
  end
  local pairs_ = {}
  for i = 1, #NOISE_FIELDS do
    pairs_[#pairs_ + 1] = NOISE_FIELDS[i]
    pairs_[#pairs_ + 1] = v[i]
  end
  redis.call('HSET', skey, unpack(pairs_))
  return keep_a, keep_e, tell
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""
)

# The audit chain (cat_engine.signing; store.py, "Invariants"). Lua has no SHA-256, so the process sends each entry's
# ``prev`` and the head after it, computed from the head it expects the session to hold; a script checks that head
# first (check_head: {2, the head held} when another one is held, nothing written) and then appends.
#
# append(session key, audit key, entries, chain, first, maxlen, head) appends entries[1..n] with prev
# chain[first + i - 1] (the chain's element after entry i is chain[first + i]); an entry is held back (counted in the
# session's noise_da) once the stream holds ``maxlen``, never the oldest trimmed. The head moves to the element after
# the last entry written. Returns how many were held back, and the head now.
_CHAIN = (
    """
local function check_head(skey, expected)
  local head = redis.call('HGET', skey, '"""
    + HEAD_FIELD
    + """') or ''
  if head ~= expected then return {2, head} end
  return nil
end

local function append(skey, akey, entries, chain, first, maxlen, head)
  local held, written = 0, 0
  for i = 1, #entries do
    if redis.call('XLEN', akey) >= maxlen then
      held = held + 1
    else
      redis.call('XADD', akey, '*', 'e', entries[i], 'p', chain[first + i - 1])
      written = i
    end
  end
  if written > 0 then
    head = chain[first + written]
    redis.call('HSET', skey, '"""
    + HEAD_FIELD
    + """', head)
  end
  if held > 0 then redis.call('HINCRBY', skey, 'noise_da', held) end
  return held, head
end

-- chain arguments from ARGV[at]: the head expected, the summary entry, the n + 1 elements of the chain of the
-- entries from that head, the n + 2 elements of the chain of the summary entry and the entries from that head
local function chain_args(at, n)
  local a, b = {}, {}
  for i = 0, n do a[#a + 1] = ARGV[at + 2 + i] end
  for i = 0, n + 1 do b[#b + 1] = ARGV[at + 3 + n + i] end
  return ARGV[at], ARGV[at + 1], a, b
end
"""
)


# KEYS: session, replies (of earlier versions), audit, events, result, then the room's keys (ROOM_PARTS)
# ARGV: expected version, state, set owner (0/1), owner, reply seq ("" none), reply, result ("" none),
#       live ttl, persist (0/1), session id, n audit, audit..., n events, events..., events kept (ms),
#       noise (0/1), per minute, lifetime minutes, summaries, audit maxlen, now (ms, the process's clock: noise),
#       then the chain arguments (chain_args: the head expected, the summary entry, the two chains)
# Returns {0} when the version moved on, {2, head} when the audit's head is not the one expected (nothing written:
# the process computes the chain again on that head), else {1, audit entries held back, events held back, the
# audit's head now, event ids...}. A noisy commit's audit entries and events are stored or held back (counted)
# whole, by store.NoiseBudget. The room's events are kept for a while (the events-kept argument) and then trimmed
# as new ones come (XADD MINID ~): they serve live proctors and a proctor's resume, which starts from a fresh snapshot
# anyway.
# Only the last applied answer's reply is kept (fields reply_seq and reply of the session hash): exactly-once needs
# no more, since a client resends only its last answer. The replies hash of earlier versions goes on the first
# reply stored here.
COMMIT = (
    _KEEP_ROOM
    + _ADMIT_NOISE
    + _CHAIN
    + """
local v = redis.call('HGET', KEYS[1], 'version')
if v ~= ARGV[1] then return {0} end
local na = tonumber(ARGV[11])
local ne = tonumber(ARGV[12 + na])
local tail = 13 + na + ne
local expected, summary, chain_a, chain_b = chain_args(tail + 7, na)
local moved = check_head(KEYS[1], expected)
if moved then return moved end
local ttl = tonumber(ARGV[8])
redis.call('HSET', KEYS[1], 'version', tonumber(v) + 1, 'state', ARGV[2])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'owner', ARGV[4]) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'reply_seq', ARGV[5], 'reply', ARGV[6])
  redis.call('DEL', KEYS[2])
end
local limits = {tonumber(ARGV[tail + 2]), tonumber(ARGV[tail + 3]), tonumber(ARGV[tail + 4])}
local maxlen = tonumber(ARGV[tail + 5])
local keep_a, keep_e, tell = true, true, false
if ARGV[tail + 1] == '1' then
  keep_a, keep_e, tell = admit_noise(KEYS[1], tonumber(ARGV[tail + 6]), limits, na, ne)
end
local entries = {}
for i = 1, na do entries[i] = ARGV[11 + i] end
local out = {1, 0, 0, expected}
local written = na
if not keep_a then
  out[2] = na
  entries = {}
  written = 0
end
local held, head = 0, expected
if tell then
  held, head = append(KEYS[1], KEYS[3], {summary}, chain_b, 1, maxlen, head)
  out[2] = out[2] + held
  held, head = append(KEYS[1], KEYS[3], entries, chain_b, 2, maxlen, head)
else
  held, head = append(KEYS[1], KEYS[3], entries, chain_a, 1, maxlen, head)
end
out[2], out[4] = out[2] + held, head
if not keep_e then
  out[3] = ne
  ne = 0
end
if ne > 0 then
  local cut = now_ms() - tonumber(ARGV[tail])
  out[5] = redis.call('XADD', KEYS[4], 'MINID', '~', math.max(cut, 0), '*', 'e', ARGV[tail - ne])
end
for j = 2, ne do out[#out + 1] = redis.call('XADD', KEYS[4], '*', 'e', ARGV[tail - ne - 1 + j]) end
if ne > 0 then redis.call('EXPIRE', KEYS[4], ttl) end
if ARGV[7] ~= '' then redis.call('SET', KEYS[5], ARGV[7]) end
if ARGV[9] == '1' then
  -- over: the session, its audit and the room that lists it stay until the results are acknowledged
  redis.call('SADD', KEYS[9], ARGV[10])
  for _, k in ipairs({1, 3, 6, 7, 8, 9}) do redis.call('PERSIST', KEYS[k]) end
else
  if redis.call('TTL', KEYS[1]) ~= -1 then
    -- a live session hash always has a TTL (_ADD sets one); -1 means over and not yet acknowledged: keep it
    redis.call('EXPIRE', KEYS[1], ttl)
    if written > 0 or tell then redis.call('EXPIRE', KEYS[3], ttl) end
  end
  keep_room(6, ttl)
end
return out
"""
)

# KEYS: session, audit. ARGV: entry, per minute, lifetime minutes, summaries, audit maxlen, now (ms), then the chain
# arguments (chain_args, for one entry)
# An audit entry outside a commit (a repeat: noise, store.NoiseBudget). Returns {1, entries held back (0 or 1), the
# audit's head now}, {2, head} when the audit's head is not the one expected (nothing written), or {0, 0} when the
# session does not exist (nothing written at all).
AUDIT = (
    _ADMIT_NOISE
    + _CHAIN
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local expected, summary, chain_a, chain_b = chain_args(7, 1)
local moved = check_head(KEYS[1], expected)
if moved then return moved end
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])}
local maxlen = tonumber(ARGV[5])
local keep, _, tell = admit_noise(KEYS[1], tonumber(ARGV[6]), limits, 1, 0)
local entries, held = {ARGV[1]}, 0
if not keep then entries, held = {}, 1 end
local capped, head = 0, expected
if tell then
  capped, head = append(KEYS[1], KEYS[2], {summary}, chain_b, 1, maxlen, head)
  held = held + capped
  capped, head = append(KEYS[1], KEYS[2], entries, chain_b, 2, maxlen, head)
else
  capped, head = append(KEYS[1], KEYS[2], entries, chain_a, 1, maxlen, head)
end
return {1, held + capped, head}
"""
)

# KEYS: session, audit. Returns {the audit chain's head ("" none), the stream's entries (XRANGE)}: read together.
CHAIN = (
    """
return {redis.call('HGET', KEYS[1], '"""
    + HEAD_FIELD
    + """') or '', redis.call('XRANGE', KEYS[2], '-', '+')}
"""
)

# KEYS: session. ARGV: the new token's digest
# Returns the old digest ("" for a session of an earlier version, which kept the token itself: it goes), or false
# when the session does not exist.
TOKEN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local old = redis.call('HGET', KEYS[1], 'token_digest') or ''
redis.call('HSET', KEYS[1], 'token_digest', ARGV[1])
redis.call('HDEL', KEYS[1], 'token')
return old
"""

# KEYS: room hash. ARGV: the new proctor token's digest
# Returns the old digest ("" for a room of an earlier version), or false when the room does not exist.
PTOKEN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local old = redis.call('HGET', KEYS[1], 'ptoken') or ''
redis.call('HSET', KEYS[1], 'ptoken', ARGV[1])
return old
"""

# KEYS: the room's keys (ROOM_PARTS), the registration's idempotency key; then per candidate: session hash
# ARGV: live ttl, n, the registration's reply ("" when it has no idempotency key), then per candidate: session id,
#       employee id, name, token digest, state
# Returns {'ok'}, {'dup', employee id} (nothing written), or {'idem', reply} when a registration with the same
# idempotency key is already in (nothing written; the reply it got then).
ADD = (
    _KEEP_ROOM
    + """
if ARGV[3] ~= '' then
  local earlier = redis.call('GET', KEYS[5])
  if earlier then return {'idem', earlier} end
end
local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  local emp = ARGV[4 + i * 5 + 1]
  if redis.call('HEXISTS', KEYS[3], emp) == 1 then return {'dup', emp} end
end
local ttl = tonumber(ARGV[1])
for i = 0, n - 1 do
  local b = 4 + i * 5
  redis.call('HSET', KEYS[6 + i], 'session_id', ARGV[b], 'employee_id', ARGV[b + 1], 'name', ARGV[b + 2],
    'token_digest', ARGV[b + 3], 'state', ARGV[b + 4], 'version', 1, 'owner', '')
  redis.call('EXPIRE', KEYS[6 + i], ttl)
  redis.call('RPUSH', KEYS[2], ARGV[b])
  redis.call('HSET', KEYS[3], ARGV[b + 1], ARGV[b])
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[5], ARGV[3], 'EX', ttl) end
keep_room(1, ttl)
return {'ok'}
"""
)

# KEYS: room hash. ARGV: name, battery id, created ms, live ttl, proctor token digest
ROOM = """
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'battery', ARGV[2], 'created_ms', ARGV[3], 'ptoken', ARGV[5],
           'open', ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""

# KEYS: session hash, the room's employees hash. ARGV: expected version, employee id, name, session id
# Returns 'ok', 'moved' (gone or another version: nothing written) or 'dup' (the employee id is taken).
EDIT = """
local v = redis.call('HGET', KEYS[1], 'version')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 'moved' end
local old = redis.call('HGET', KEYS[1], 'employee_id')
if old ~= ARGV[2] then
  if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'dup' end
  redis.call('HDEL', KEYS[2], old)
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
end
redis.call('HSET', KEYS[1], 'employee_id', ARGV[2], 'name', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 'ok'
"""

# KEYS: session hash, its audit, its result, the room's sessions list, employees hash and unacked set.
# ARGV: expected version, session id. Returns the session's token digest ("" none kept), or false when it is gone or
# at another version (nothing written).
REMOVE = """
local v = redis.call('HGET', KEYS[1], 'version')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return false end
local emp = redis.call('HGET', KEYS[1], 'employee_id')
local digest = redis.call('HGET', KEYS[1], 'token_digest') or ''
if emp then redis.call('HDEL', KEYS[5], emp) end
redis.call('LREM', KEYS[4], 0, ARGV[2])
redis.call('SREM', KEYS[6], ARGV[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return digest
"""

# KEYS: room hash, room events. ARGV: the room event, then field and value pairs for the room hash
# Opens, closes or archives a room that exists, with its room event; nil when the room is gone (nothing written).
GATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return redis.call('XADD', KEYS[2], '*', 'e', ARGV[1])
"""

# KEYS: room hash, the counter key of earlier versions. ARGV: count, live ttl
# Session numbers live in the room hash, so they last exactly as long as the room; a room created by an earlier
# version continues from its old counter key, which then goes.
NEXT = """
if redis.call('HEXISTS', KEYS[1], 'next') == 0 then
  redis.call('HSET', KEYS[1], 'next', tonumber(redis.call('GET', KEYS[2]) or '0'))
  redis.call('DEL', KEYS[2])
end
local last = redis.call('HINCRBY', KEYS[1], 'next', tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]), 'GT')
return last
"""

# KEYS: the room's keys (ROOM_PARTS). ARGV: acked ttl, session ids acknowledged...
# Once no result of the room is unacknowledged, its keys expire ``acked ttl`` later (or later, if live).
ACK = """
for i = 2, #ARGV do redis.call('SREM', KEYS[4], ARGV[i]) end
if redis.call('SCARD', KEYS[4]) == 0 then
  for k = 1, 3 do
    if redis.call('TTL', KEYS[k]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[k], tonumber(ARGV[1])) end
  end
end
return 1
"""
