-- lib.lua is the shared routing model every script is written against: loaded
-- once with all of them as a library of Redis Functions, or prepended to each
-- one for EVAL where the server has no Functions (the embedded Redis).
--
-- KEYS[1]  the workspace prefix "sb:{<workspace>}:". Every key a script touches is
--          built from it, so all of them share one hash tag and one cluster slot
--          (which keys depends on the data: the agents a queue holds, say).
-- ARGV[1]  now, Unix ms (scripts never call TIME)
-- ARGV[2]  the script's own arguments, one JSON object (A below), as each
--          script's header names them; its Go twin is a struct in queues.
-- ARGV[3..12] the settings, as decimal text (positional: a JSON environment
--          cost a decode per call): max_missed (consecutive missed offers
--          before an agent is set away), reoffer_ms (a rejected task skips
--          that agent this long), stream_max (length of an agent's stream),
--          events_max (a safety cap of the events stream: it is trimmed by
--          what its consumers acknowledged, see Outbox.Retain), history
--          (earlier contacts of the customer an offer carries), connect and
--          next_timer (1 or 0); ARGV[10] retention_ms (how long finished
--          work stays, 0: for ever); ARGV[11] archived (1: an archive keeps
--          finished work, whose expiry its consumer sets once it has it);
--          ARGV[12] unobserved (1: nobody reads the workspace's outputs, a
--          simulation's: no events, desktop streams, service-level
--          counters or task indexes are written).
--
-- Replies are {"ok", JSON object} (the script's result, decoded into a
-- struct by Go) or {error code, detail}, codes that Go maps to errors.
--
-- Data model (all under the prefix; every kind is also listed in Kinds in
-- keys.go, and a test fails on a key built of a kind not listed there):
--   agent:<id>             hash: profile, presence, reason, idle_since, missed,
--                          queues (json [{q,p,s}]), caps (json {channel: n}),
--                          blocks (json [channel]), load:<channel>
--   agent:<id>:tasks       set of task ids the agent holds (reserved, assigned, wrapping)
--   agent:<id>:stream      stream of what the agent's desktop must see (history:
--                          live entries reach the replicas through agent-feed)
--   agent-feed             Pub/Sub channel: every agent stream entry, published
--                          as "<agent>\n<entry id>\n<type>\n<data>"
--   agent:<id>:shifts      zset of scheduled working intervals "start:end" by start
--   agent:<id>:presence_log list of "at|presence" changes, for adherence
--   agent:<id>:desktops    set of the replicas holding the agent's desktop stream
--   stream-replica:<r>     set of the agents whose desktop replica r holds
--   stream-replicas        zset of replicas by lease expiry (they renew it)
--   agents                 set of agent ids
--   presence:<state>       set of agent ids in that presence
--   task:<id>              hash of one task
--   tasks                  zset of every task id by creation time; tasks:queue:<queue>
--                          the same per queue (its queue now or before a transfer),
--                          tasks:agent:<id> the tasks an agent was assigned
--   q:<queue>:<ch>:waiting zset of queued task ids, score = urgency (lower first)
--   q:<queue>:<ch>:age     zset of queued task ids, score = created_at
--   q:<queue>:<ch>:avail   zset of agents able to take <ch> now, score = strategy order
--   q:<queue>:<ch>:avail:p<n> the same for agents below the queue's minimum
--                          proficiency, at proficiency n: tasks reach them only
--                          once escalation lowers their minimum to n
--   q:<queue>:agents       set of the agents eligible for the queue
--   waiting                hash "<queue>:<ch>": how many tasks q:<queue>:<ch>:waiting holds
--   timers                 zset "kind|id" by due time: offer|<offer>, wrap|<task>, route|<task>,
--                          start|<task> (a scheduled task's start: a callback when the queue opens),
--                          stream|<agent> (the agent's desktop has been gone everywhere for the
--                          grace period)
--   idem:<key>             task id for an idempotency key
--   events                 stream of every transition (the outbox)
--   identity:<kind:value>  customer id of an identity (phone, email, social, web)
--   customer:<id>          hash: name, created_at, last_agent, last_agent_at
--   customer:<id>:identities set of identity keys linked to the customer
--   customer:<id>:timeline zset of the customer's task ids by creation time
--   conv:<customer>:<ch>   the customer's open conversation (task id) on a channel
--   task:<id>:messages     list of the conversation's messages (json)
--   msg:<sid>              task id of an outbound message, for delivery status
--   task:<id>:escalations  list of the escalation steps applied (json)
--   handoffs               zset of provider hand-offs (connect a call, send a reply) by
--                          when they may next be tried
--   handoff:<id>           hash: kind (connect, send), task, agent, attempts, last_error, and
--                          what the kind needs (call_sid; message index and text)
--   sl:<queue>:<bucket>    hash of service-level counters "<channel>:<counter>" for
--                          the tasks created in a 15-minute bucket (NOW / 900000)
--   surveys                zset of completed tasks to survey, by when to ask
--   survey:<customer>      the task whose survey the customer may answer now (expires
--                          with the survey's window)
--
-- SLA clocks of a task: fr (first response) and nr (next reply), with fields
-- <c>_due, <c>_warn, <c>_state (running, met, breached, stopped), <c>_met_at (when
-- the response came, met or late),
-- <c>_late_ms; their timers are sla|<task>|<c>|warn and sla|<task>|<c>|breach.

local P, NOW, NOW_S, MAX_MISSED, REOFFER_MS, STREAM_MAX, EVENTS_MAX, HISTORY, CONNECT, NEXT_TIMER, A
local RETENTION_MS, ARCHIVED, UNOBSERVED
-- MADE lists the offers the call made, for its reply.
local MADE
-- TASKS holds the tasks the call has read or written, by id, and DIRTY the
-- fields and values it set of each (DIRTY_IDS in order): a transition sets fields
-- of a task several times (queued, clock started, reserved, assigned, its
-- first response met), and each HSET searches the whole hash, so they are
-- written once per task when the call ends (done). Every read of a task in
-- the call goes through TASKS (load_task, tfields).
local TASKS, DIRTY, DIRTY_IDS
-- BUCKET_NOW is the call's service-level bucket, once formatted.
local BUCKET_NOW

-- begin takes one call's prefix, environment and arguments: KEYS and ARGV
-- of an EVAL, or the keys and args of an FCALL (the library is loaded once
-- as Redis Functions where the server has them, and these are its state
-- for the call under way; Redis runs one call at a time).
local function begin(keys, argv)
  P = keys[1]
  NOW_S = argv[1]
  NOW = tonumber(NOW_S)
  A = cjson.decode(argv[2])
  MAX_MISSED, REOFFER_MS, HISTORY = tonumber(argv[3]), tonumber(argv[4]), tonumber(argv[7])
  STREAM_MAX, EVENTS_MAX = argv[5], argv[6]
  CONNECT, NEXT_TIMER = argv[8] == '1', argv[9] == '1'
  RETENTION_MS = tonumber(argv[10] or '0')
  ARCHIVED = argv[11] == '1'
  UNOBSERVED = argv[12] == '1'
  MADE = {}
  BUCKET_NOW = nil
  TASKS, DIRTY, DIRTY_IDS = {}, {}, {}
end

-- SCAN bounds how many heads of a sorted set one decision looks at, and
-- MAX_OFFERS how many offers one call makes: the cost of a decision does not
-- grow with the number of waiting tasks or agents.
local SCAN = 8
local SCAN_LAST = '7' -- SCAN - 1, as text
local MAX_OFFERS = 16
local BUCKET_MS = 900000
local SL_TTL_MS = 40 * 86400000
local CLOCK_NAME = {fr = 'first_response', nr = 'next_reply'}

-- key builds a key under the prefix from up to five parts (concatenation:
-- the hot path builds dozens of keys a call).
local function key(a, b, c, d, e)
  if not b then
    return P .. a
  elseif not c then
    return P .. a .. ':' .. b
  elseif not d then
    return P .. a .. ':' .. b .. ':' .. c
  elseif not e then
    return P .. a .. ':' .. b .. ':' .. c .. ':' .. d
  end
  return P .. a .. ':' .. b .. ':' .. c .. ':' .. d .. ':' .. e
end

-- reply is a script's result. Every reply also lists the offers the call made (made, when it made
-- any) and, when the caller asked (next_timer in the environment: the
-- simulator), the due time of the earliest timer.
local function reply(result)
  if #MADE > 0 then
    result.made = MADE
  end
  if NEXT_TIMER then
    local first = redis.call('ZRANGE', key('timers'), '0', '0', 'WITHSCORES')
    result.next_timer = first[2] or '0'
  end
  return {'ok', cjson.encode(result)}
end

-- n2s formats a whole number (milliseconds, scores that mix priority with
-- them) as an integer: without the 14-digit rounding Lua applies to numbers
-- passed to redis.call, and without the cost of formatting a float.
local function n2s(x)
  return string.format('%d', x)
end

-- bucket_now is the service-level bucket of now (see sl_key), as text.
local function bucket_now()
  if not BUCKET_NOW then
    BUCKET_NOW = n2s(math.floor(NOW / BUCKET_MS))
  end
  return BUCKET_NOW
end

-- FUNCTIONS is true in the library of Redis Functions (a real Redis 7):
-- there a hash is read as a RESP3 map, made a Lua table by the server's
-- own code instead of a loop over the flat reply. (The embedded Redis gets
-- the loop.)
local FUNCTIONS = false

local function hgetall(k)
  if FUNCTIONS then
    redis.setresp(3)
    local h = redis.call('HGETALL', k).map
    redis.setresp(2)
    if next(h) == nil then
      return nil
    end
    return h
  end
  local flat = redis.call('HGETALL', k)
  if #flat == 0 then
    return nil
  end
  local h = {}
  for i = 1, #flat, 2 do
    h[flat[i]] = flat[i + 1]
  end
  return h
end

-- emit appends one transition to the events stream; fields is a flat list.
local function emit(typ, fields)
  if UNOBSERVED then
    return
  end
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX, '*', 'type', typ, 'at', NOW_S, unpack(fields))
end

local function task_fields(t)
  return {'task', t.id, 'queue', t.queue, 'channel', t.channel}
end

local function with(list, ...)
  local extra, n = {...}, #list
  for i = 1, #extra do
    list[n + i] = extra[i]
  end
  return list
end

-- notify appends a message to an agent's own stream (its history, for resume)
-- and publishes it on the feed that the replicas' hubs fan out to desktops.
-- raw holds fields that already are JSON text (objects stored as given), spliced
-- in as is: decoding and re-encoding would turn an empty object into [].
local function notify(agent_id, typ, data, raw)
  if UNOBSERVED then
    return
  end
  data.at = NOW
  local body = cjson.encode(data)
  if raw then
    local extra = {}
    for k, v in pairs(raw) do
      extra[#extra + 1] = '"' .. k .. '":' .. v -- keys are plain names
    end
    body = string.sub(body, 1, -2) .. ',' .. table.concat(extra, ',') .. '}'
  end
  local id = redis.call('XADD', key('agent', agent_id, 'stream'), 'MAXLEN', '~', STREAM_MAX, '*',
    'type', typ, 'data', body)
  redis.call('PUBLISH', key('agent-feed'), agent_id .. '\n' .. id .. '\n' .. typ .. '\n' .. body)
end

-- Agents ------------------------------------------------------------------

-- decoded is cjson.decode of an agent's queues or caps, and blocked the set
-- of its blocked channels, remembered by their text: agents share a handful
-- of configurations and a decision loads several agents, so most calls
-- decode nothing. The tables are read only. The memo lives in the library's
-- state between calls; it is a pure function of its key, so a node without
-- it only decodes again. It is emptied when it holds MEMO_MAX texts.
local MEMO_MAX = 4096
local memo_json, memo_set, memo_n = {}, {}, 0
local function remember(m, text, v)
  if memo_n >= MEMO_MAX then
    memo_json, memo_set, memo_n = {}, {}, 0
    m = nil
  end
  if m then
    m[text] = v
    memo_n = memo_n + 1
  end
  return v
end

local function decoded(text)
  local v = memo_json[text]
  if v == nil then
    v = remember(memo_json, text, cjson.decode(text))
  end
  return v
end

local function blocked(text)
  local v = memo_set[text]
  if v == nil then
    v = {}
    for _, c in ipairs(cjson.decode(text)) do
      v[c] = true
    end
    remember(memo_set, text, v)
  end
  return v
end

local function load_agent(id)
  if not id or id == '' then
    return nil
  end
  local a = hgetall(key('agent', id))
  if not a then
    return nil
  end
  a.id = id
  a.qs = decoded(a.queues)
  a.cap = decoded(a.caps)
  a.blk = blocked(a.blocks)
  return a
end

-- aset writes fields of an agent: field, value, ...
local function aset(a, ...)
  local args = {...}
  for i = 1, #args, 2 do
    a[args[i]] = args[i + 1]
  end
  redis.call('HSET', key('agent', a.id), ...)
end

local function load_of(a, ch)
  return tonumber(a['load:' .. ch] or '0')
end

-- entry finds the agent's eligibility entry for a queue.
local function entry(a, q)
  for _, e in ipairs(a.qs) do
    if e.q == q then
      return e
    end
  end
  return nil
end

-- can_take reports whether the agent can take a contact of channel ch now for
-- the queue of eligibility entry e: off shift, only queues that do not
-- enforce schedules (e.e false) still reach it (no entry: enforced).
local function can_take(a, ch, e)
  if a.presence ~= 'available' then
    return false
  end
  if a.off_shift == '1' and (not e or e.e) then
    return false
  end
  if load_of(a, ch) >= tonumber(a.cap[ch] or 0) then
    return false
  end
  if ch ~= 'voice' and a.blk[ch] and load_of(a, 'voice') > 0 then
    return false
  end
  return true
end

-- agent_score orders agents within a queue's available set (lower first).
local function agent_score(a, e)
  local idle = tonumber(a.idle_since or NOW)
  if e.s == 'most-proficient' then
    return (5 - e.p) * 1e13 + idle
  elseif e.s == 'least-occupied' then
    local load, cap = 0, 0
    for ch, n in pairs(a.cap) do
      cap = cap + n
      load = load + load_of(a, ch)
    end
    local pct = 0
    if cap > 0 then
      pct = math.floor(100 * load / cap)
    end
    return pct * 1e13 + idle
  end
  return idle
end

-- avail_key is the available set of a queue and channel where the agent's
-- entry e belongs (below the queue's minimum proficiency: its level's set).
local function avail_key(e, ch)
  if e.b then
    return key('q', e.q, ch, 'avail', 'p' .. e.p)
  end
  return key('q', e.q, ch, 'avail')
end

-- refresh_agent puts the agent in, or takes it out of, the available set of
-- every (queue, channel) it is eligible for, according to its current state.
local function refresh_agent(a)
  for _, e in ipairs(a.qs) do
    local score
    for ch, n in pairs(a.cap) do
      -- A channel the agent never takes has no entry to keep (a change of
      -- capacity unlists the agent first: upsert_agent).
      if n > 0 then
        local k = avail_key(e, ch)
        if can_take(a, ch, e) then
          score = score or n2s(agent_score(a, e))
          redis.call('ZADD', k, score, a.id)
        else
          redis.call('ZREM', k, a.id)
        end
      end
    end
  end
end

local function unlist_agent(a)
  for _, e in ipairs(a.qs) do
    redis.call('SREM', key('q', e.q, 'agents'), a.id)
    for ch, _ in pairs(a.cap) do
      redis.call('ZREM', avail_key(e, ch), a.id)
    end
  end
end

-- Tasks -------------------------------------------------------------------

local function load_task(id)
  if not id or id == '' then
    return nil
  end
  local t = TASKS[id]
  if t then
    return t
  end
  t = hgetall(key('task', id))
  if t then
    t.id = id
    TASKS[id] = t
  end
  return t
end

-- tset sets fields of a task (field, value, ...): in t at once, in Redis
-- when the call ends (tflush).
local function tset(t, ...)
  local args = {...}
  local p = DIRTY[t.id]
  if not p then
    p = {}
    DIRTY[t.id] = p
    DIRTY_IDS[#DIRTY_IDS + 1] = t.id
    TASKS[t.id] = t
  end
  local n = #p
  for i = 1, #args, 2 do
    local f, v = args[i], args[i + 1]
    -- An empty value is what a field the task lacks reads as: it is not
    -- written (a smaller hash is cheaper to write and to read).
    if v ~= '' or t[f] then
      t[f] = v
      p[n + 1], p[n + 2] = f, v
      n = n + 2
    end
  end
end

-- tflush writes what the call set of its tasks, one HSET per task (a field
-- set twice is written twice, the later value last).
local function tflush()
  for i = 1, #DIRTY_IDS do
    local id = DIRTY_IDS[i]
    if #DIRTY[id] > 0 then
      redis.call('HSET', key('task', id), unpack(DIRTY[id]))
    end
  end
  DIRTY, DIRTY_IDS = {}, {}
end

-- done ends a call: what it changed of its tasks is written, and its
-- result returned.
local function done(result)
  tflush()
  return result
end

-- tfields is HMGET of a task's fields as the call has them (false for
-- a field not set).
local function tfields(id, ...)
  local t = TASKS[id]
  if not t then
    return redis.call('HMGET', key('task', id), ...)
  end
  local out = {}
  for i, f in ipairs({...}) do
    out[i] = t[f] or false
  end
  return out
end

-- task_queues lists the queues a task waits in: its own, then the overflow
-- queues escalation added.
local function task_queues(t)
  local qs = {t.queue}
  for q in string.gmatch(t.overflow or '', '[^,]+') do
    qs[#qs + 1] = q
  end
  return qs
end

-- count_waiting records how many tasks wait in a queue and channel, so that
-- an agent coming free reads the heads of the non-empty ones only. It is
-- the set's own count, written when the set changes: a field not written
-- yet (data from before the count existed) means "look".
local function count_waiting(q, ch)
  redis.call('HSET', key('waiting'), q .. ':' .. ch, redis.call('ZCARD', key('q', q, ch, 'waiting')))
end

local function enqueue(t)
  for _, q in ipairs(task_queues(t)) do
    if redis.call('ZADD', key('q', q, t.channel, 'waiting'), t.score, t.id) == 1 then
      count_waiting(q, t.channel)
    end
    redis.call('ZADD', key('q', q, t.channel, 'age'), t.created_at, t.id)
  end
end

local function dequeue(t)
  for _, q in ipairs(task_queues(t)) do
    if redis.call('ZREM', key('q', q, t.channel, 'waiting'), t.id) == 1 then
      count_waiting(q, t.channel)
    end
    redis.call('ZREM', key('q', q, t.channel, 'age'), t.id)
  end
end

-- sl_count adds one to a service-level counter of the task's queue, in the
-- bucket of the task's creation.
local function sl_key(t)
  return key('sl', t.queue, t.bucket or bucket_now())
end

-- sl_add adds to a counter. The bucket's time to live is set once, when a
-- task created in it is counted as offered (see create_task).
local function sl_add(t, counter, n)
  if UNOBSERVED then
    return 0
  end
  return redis.call('HINCRBY', sl_key(t), t.channel .. ':' .. counter, n2s(n))
end

-- sl_count counts one of counter and returns the count.
local function sl_count(t, counter)
  if UNOBSERVED then
    return 0
  end
  return redis.call('HINCRBY', sl_key(t), t.channel .. ':' .. counter, '1')
end

-- clock_timers names the warning and breach timers of clock c of t.
local function clock_timers(t, c)
  return 'sla|' .. t.id .. '|' .. c .. '|warn', 'sla|' .. t.id .. '|' .. c .. '|breach'
end

-- start_clock starts an SLA clock with its due and warning times (ms); a
-- zero due means the policy has no such target.
local function start_clock(t, c, due, warn)
  due, warn = tonumber(due), tonumber(warn)
  if not due or due <= 0 then
    return
  end
  local w, b = clock_timers(t, c)
  if warn and warn > 0 and warn < due then
    tset(t, c .. '_due', n2s(due), c .. '_warn', n2s(warn), c .. '_state', 'running', c .. '_met_at', '', c .. '_late_ms', '')
    redis.call('ZADD', key('timers'), n2s(warn), w)
  else
    tset(t, c .. '_due', n2s(due), c .. '_warn', '', c .. '_state', 'running', c .. '_met_at', '', c .. '_late_ms', '')
  end
  redis.call('ZADD', key('timers'), n2s(due), b)
end

local function clock_open(t, c)
  local st = t[c .. '_state']
  return st == 'running' or (st == 'breached' and (t[c .. '_met_at'] or '') == '')
end

-- meet_clock stops a clock because the response came, and records whether
-- it came within target (and if not, by how much it was late).
local function meet_clock(t, c)
  if not clock_open(t, c) then
    return
  end
  redis.call('ZREM', key('timers'), clock_timers(t, c))
  local due = tonumber(t[c .. '_due'])
  local late, within = '', '1'
  if NOW > due then
    late, within = n2s(NOW - due), '0'
  end
  local final = 'met'
  if t[c .. '_state'] == 'breached' then
    final = 'breached'
  end
  tset(t, c .. '_state', final, c .. '_met_at', NOW_S, c .. '_late_ms', late)
  if c == 'fr' then
    sl_count(t, 'answered')
    if within == '1' then
      sl_count(t, 'in_target')
    end
  end
  -- A clock that breached was not met: its late answer is an event of its own.
  local typ = 'sla.met'
  if final == 'breached' then
    typ = 'sla.answered_late'
  end
  emit(typ, with(task_fields(t), 'clock', CLOCK_NAME[c], 'within', within, 'late_ms', late))
end

-- clear_escalations removes the escalation timers a task may still have.
local function clear_escalations(t)
  for i = 0, #cjson.decode(t.esc or '[]') - 1 do
    redis.call('ZREM', key('timers'), 'esc|' .. t.id .. '|' .. i)
  end
end

-- stop_clocks ends the clocks of a task that ends without its response.
local function stop_clocks(t)
  for _, c in ipairs({'fr', 'nr'}) do
    if clock_open(t, c) then
      redis.call('ZREM', key('timers'), clock_timers(t, c))
      if t[c .. '_state'] == 'running' then
        tset(t, c .. '_state', 'stopped')
      end
    end
  end
end

-- A task remembers the agents who recently rejected or missed it, as
-- ",<agent>:<until ms>,...", and is not offered to them again before then.
-- skipped_until is when agent_id may have the task again (0: now).
local function skipped_until(skip, agent_id)
  if not skip or skip == '' then
    return 0
  end
  local _, j = string.find(skip, ',' .. agent_id .. ':', 1, true)
  if not j then
    return 0
  end
  return tonumber(string.match(skip, '^(%d+)', j + 1))
end

-- add_skip keeps agent_id from the task until till, dropping lapsed entries.
local function add_skip(skip, agent_id, till)
  local out = ','
  for id, u in string.gmatch(skip or '', '([^,:]+):(%d+)') do
    if tonumber(u) > NOW and id ~= agent_id then
      out = out .. id .. ':' .. u .. ','
    end
  end
  return out .. agent_id .. ':' .. n2s(till) .. ','
end

-- held_for_other reports whether a task waits for its customer's preferred
-- agent, who is not a.
local function held_for_other(pref, pref_until, agent_id)
  return pref and pref ~= '' and pref ~= agent_id and NOW < tonumber(pref_until or '0')
end

-- first_skip_expiry is when the first skipped agent may have the task again.
local function first_skip_expiry(skip)
  local first
  for _, u in string.gmatch(skip or '', '([^,:]+):(%d+)') do
    local n = tonumber(u)
    if n > NOW and (not first or n < first) then
      first = n
    end
  end
  return first
end

-- history is the customer's last contacts before t, as JSON, for the offer:
-- the agent sees them and the customer need not repeat themselves.
local function history(t)
  if not t.customer_id or t.customer_id == '' or HISTORY < 1 then
    return '[]'
  end
  local ids = redis.call('ZREVRANGE', key('customer', t.customer_id, 'timeline'), 0, HISTORY)
  local out = {}
  for _, id in ipairs(ids) do
    if id ~= t.id and #out < HISTORY then
      local f = tfields(id, 'channel', 'queue', 'agent', 'state', 'disposition', 'created_at')
      out[#out + 1] = cjson.encode({task_id = id, channel = f[1], queue = f[2], agent = f[3] or '',
        state = f[4], disposition = f[5] or '', at = tonumber(f[6])})
    end
  end
  return '[' .. table.concat(out, ',') .. ']'
end

-- add_message appends a customer message to a task's conversation and shows
-- it to the agent who holds the task.
local function add_message(t, message, nr_due, nr_warn)
  if message == '' then
    return
  end
  -- A customer message after an agent reply starts the next-reply clock.
  if (t.first_response_at or '') ~= '' and not clock_open(t, 'nr') and t.state ~= 'completed' and t.state ~= 'canceled' then
    start_clock(t, 'nr', nr_due, nr_warn)
  end
  redis.call('RPUSH', key('task', t.id, 'messages'), message)
  tset(t, 'messages_in', tonumber(t.messages_in or '0') + 1, 'last_customer_message_at', NOW_S)
  if t.agent and t.agent ~= '' and (t.state == 'assigned' or t.state == 'reserved' or t.state == 'wrapping') then
    notify(t.agent, 'message', {task_id = t.id}, {message = message})
  end
  emit('message.received', with(task_fields(t), 'agent', t.agent or ''))
end

-- end_conversation closes the customer's open conversation on t's channel.
local function end_conversation(t)
  if t.customer_id and t.customer_id ~= '' then
    local k = key('conv', t.customer_id, t.channel)
    if redis.call('GET', k) == t.id then
      redis.call('DEL', k)
    end
  end
end

-- Surveys -----------------------------------------------------------------

-- survey_answer takes a customer's message while a survey of task id is
-- pending: an opt-out word stops surveys, a score in the survey's range
-- (csat 1-5, nps 0-10) answers it. Returns what it was (answered,
-- opted_out), or nil: the message is not about the survey.
local function survey_answer(id, cid, score, opt_out)
  local t = load_task(id)
  if opt_out then
    redis.call('HSET', key('customer', cid), 'survey_opt_out', '1')
    redis.call('DEL', key('survey', cid))
    if t then
      tset(t, 'survey_state', 'opted_out')
    end
    emit('survey.opted_out', {'task', id, 'customer', cid})
    return 'opted_out'
  end
  if not t or score < 0 then
    return nil
  end
  local lo, hi = 1, 5
  if t.survey_kind == 'nps' then
    lo, hi = 0, 10
  end
  if score < lo or score > hi then
    return nil
  end
  tset(t, 'survey_score', tostring(score), 'survey_answered_at', NOW_S, 'survey_state', 'answered')
  redis.call('DEL', key('survey', cid))
  emit('survey.answered', with(task_fields(t), 'agent', t.agent or '', 'customer', cid, 'kind', t.survey_kind,
    'score', tostring(score)))
  return 'answered'
end

-- Retention ---------------------------------------------------------------

-- customer_keys are a customer's own keys: the hash, identities, timeline
-- and each identity's link.
local function customer_keys(cid)
  local ks = {key('customer', cid), key('customer', cid, 'identities'), key('customer', cid, 'timeline')}
  for _, ident in ipairs(redis.call('SMEMBERS', key('customer', cid, 'identities'))) do
    ks[#ks + 1] = key('identity', ident)
  end
  return ks
end

-- customer_opened counts an open contact of the customer; the first one
-- keeps the customer's keys for as long as it is open.
local function customer_opened(cid)
  if RETENTION_MS > 0 and redis.call('HINCRBY', key('customer', cid), 'open', 1) == 1 and
    redis.call('PTTL', key('customer', cid)) > 0 then
    -- A returning customer whose keys were set to expire: kept again. (A
    -- new customer's have no expiry: one read, no writes.)
    for _, k in ipairs(customer_keys(cid)) do
      redis.call('PERSIST', k)
    end
  end
end

-- expire_task sets a finished task's keys (the task, its messages,
-- escalations and delivery reports) to expire at (Unix ms), and the
-- customer's too once none of their contacts is open: a customer stays
-- while they have recent contacts.
local function expire_task(id, cid, at, closing)
  tflush() -- a task made in this call must exist to expire
  for _, k in ipairs({key('task', id), key('task', id, 'messages'), key('task', id, 'escalations'),
    key('task', id, 'delivery')}) do
    redis.call('PEXPIREAT', k, at)
  end
  if cid == '' then
    return
  end
  local open
  if closing then
    open = redis.call('HINCRBY', key('customer', cid), 'open', -1)
    if open < 0 then
      redis.call('HSET', key('customer', cid), 'open', 0)
    end
  else
    open = tonumber(redis.call('HGET', key('customer', cid), 'open') or '0')
  end
  if open <= 0 then
    for _, k in ipairs(customer_keys(cid)) do
      redis.call('PEXPIREAT', k, at)
    end
  end
end

-- retire is the end of a task for retention: its keys expire a retention
-- time after now; with an archive, the archive's consumer sets that once it
-- has the contact (release_archived), so Redis never lets go of a contact
-- the archive lacks. The indexes that list the task are trimmed of it once
-- it is gone (trim_index).
local function retire(t)
  if RETENTION_MS <= 0 then
    return
  end
  local cid = t.customer_id or ''
  if ARCHIVED then
    if cid ~= '' and redis.call('HINCRBY', key('customer', cid), 'open', -1) < 0 then
      redis.call('HSET', key('customer', cid), 'open', 0)
    end
    return
  end
  expire_task(t.id, cid, n2s(NOW + RETENTION_MS), true)
end

local assign

-- reserve offers a queued task to an agent who can take it; an agent who
-- answers automatically has it assigned at once (no offer to accept).
local function reserve(t, a)
  local auto = a.auto == '1'
  if not t.unqueued then
    dequeue(t)
  end
  local seq = tonumber(t.offer_seq or '0') + 1
  local offer = t.id .. '.' .. seq
  local deadline = NOW + tonumber(t.offer_ms)
  tset(t, 'state', 'reserved', 'agent', a.id, 'offer', offer, 'offer_seq', seq,
    'deadline', n2s(deadline), 'reserved_at', NOW_S)
  aset(a, 'load:' .. t.channel, tostring(load_of(a, t.channel) + 1), 'idle_since', NOW_S)
  redis.call('SADD', key('agent', a.id, 'tasks'), t.id)
  refresh_agent(a)
  if not auto then
    redis.call('ZADD', key('timers'), n2s(deadline), 'offer|' .. offer)
  end
  notify(a.id, 'offer', {
    offer_id = offer, task_id = t.id, channel = t.channel, queue = t.queue,
    priority = tonumber(t.priority), deadline = deadline,
    created_at = tonumber(t.created_at),
  }, {customer = t.customer, attributes = t.attributes, history = history(t)})
  emit('offer.created', with(task_fields(t), 'agent', a.id, 'offer', offer))
  MADE[#MADE + 1] = {offer = offer, task = t.id, agent = a.id, assigned = auto}
  if auto then
    assign(t, CONNECT, true)
  end
end

-- release gives back the capacity a task held on its agent.
local function release(t, a)
  local n = load_of(a, t.channel) - 1
  if n < 0 then
    n = 0
  end
  aset(a, 'load:' .. t.channel, tostring(n), 'idle_since', NOW_S)
  redis.call('SREM', key('agent', a.id, 'tasks'), t.id)
  refresh_agent(a)
end

-- requeue takes back an open offer (why: rejected, timeout, rescinded) and puts
-- the task back in its queue with its original urgency and age.
local function requeue(t, a, why)
  redis.call('ZREM', key('timers'), 'offer|' .. t.offer)
  if a then
    release(t, a)
    notify(a.id, 'offer.rescinded', {offer_id = t.offer, task_id = t.id, reason = why})
  end
  emit('offer.' .. why, with(task_fields(t), 'agent', t.agent, 'offer', t.offer))
  local skip = t.skip or ''
  if why ~= 'rescinded' then
    skip = add_skip(skip, t.agent, NOW + REOFFER_MS)
  end
  tset(t, 'state', 'queued', 'agent', '', 'offer', '', 'deadline', '', 'skip', skip, 'pref', '')
  enqueue(t)
end

-- route_task is the first routing event: a task arrives (or comes back); offer
-- it to the best agent who can take it now, or leave it waiting.
local function route_task(t)
  local avail = key('q', t.queue, t.channel, 'avail')
  -- A returning customer waits a little for the agent who served them last,
  -- if that agent is logged in and so could come free: not for one offline
  -- (or gone).
  if t.pref and t.pref ~= '' and NOW < tonumber(t.pref_until or '0') then
    local p = redis.call('HGET', key('agent', t.pref), 'presence')
    if not p or p == 'offline' then
      tset(t, 'pref', '', 'pref_until', '')
      return route_task(t)
    end
    if redis.call('ZSCORE', avail, t.pref) and skipped_until(t.skip, t.pref) <= NOW then
      local a = load_agent(t.pref)
      if a and can_take(a, t.channel, entry(a, t.queue)) then
        reserve(t, a)
        return a
      end
    end
    redis.call('ZADD', key('timers'), t.pref_until, 'route|' .. t.id)
    return nil
  end
  -- The queues' own sets, then (when escalation lowered the minimum) the sets
  -- of agents below it, most proficient level first.
  local sets = {}
  for _, q in ipairs(task_queues(t)) do
    sets[#sets + 1] = {key('q', q, t.channel, 'avail'), q}
  end
  local floor = tonumber(t.min_prof or '')
  if floor then
    for level = 4, floor, -1 do
      for _, q in ipairs(task_queues(t)) do
        sets[#sets + 1] = {key('q', q, t.channel, 'avail', 'p' .. level), q}
      end
    end
  end
  for _, set in ipairs(sets) do
    avail = set[1]
    for _, id in ipairs(redis.call('ZRANGE', avail, '0', SCAN_LAST)) do
      if skipped_until(t.skip, id) <= NOW then
        local a = load_agent(id)
        if a and can_take(a, t.channel, entry(a, set[2])) then
          reserve(t, a)
          return a
        end
        -- A stale entry cannot happen while scripts keep the sets; heal it anyway.
        if a then
          refresh_agent(a)
        else
          redis.call('ZREM', avail, id)
        end
      end
    end
  end
  -- Waiting only because of skipped agents? Look again when the first skip ends.
  local retry = first_skip_expiry(t.skip)
  if retry then
    redis.call('ZADD', key('timers'), n2s(retry), 'route|' .. t.id)
  end
  return nil
end

-- route_agent is the second routing event: an agent has free capacity; reserve
-- the most urgent tasks at the heads of its eligible queues, while it can.
local function route_agent(a)
  local made = 0
  if a.presence ~= 'available' then
    return made
  end
  for _ = 1, MAX_OFFERS do
    -- The queues and channels the agent can take, and which of them have
    -- anything waiting (one read for all).
    local open, fields = {}, {}
    for _, e in ipairs(a.qs) do
      for ch, _ in pairs(a.cap) do
        if can_take(a, ch, e) then
          open[#open + 1] = {e, ch}
          fields[#fields + 1] = e.q .. ':' .. ch
        end
      end
    end
    if #open == 0 then
      break
    end
    local counts = redis.call('HMGET', key('waiting'), unpack(fields))
    local best, best_score
    for i, o in ipairs(open) do
      local e, ch = o[1], o[2]
      if not counts[i] then
        count_waiting(e.q, ch)
      end
      if counts[i] ~= '0' then
        local heads = redis.call('ZRANGE', key('q', e.q, ch, 'waiting'), '0', SCAN_LAST, 'WITHSCORES')
        for j = 1, #heads, 2 do
          local sc = tonumber(heads[j + 1])
          if best_score and sc >= best_score then
            break
          end
          local f = tfields(heads[j], 'skip', 'pref', 'pref_until', 'min_prof')
          if skipped_until(f[1], a.id) <= NOW and not held_for_other(f[2], f[3], a.id) and
            (not e.b or tonumber(f[4] or '99') <= e.p) then
            best, best_score = heads[j], sc
            break
          end
        end
      end
    end
    if not best then
      break
    end
    reserve(load_task(best), a)
    made = made + 1
  end
  return made
end

-- set_presence changes an agent's presence. Leaving "available" takes back the
-- agent's open offers and routes them elsewhere; becoming available routes
-- waiting work to the agent. Returns the number of offers made.
local function set_presence(a, presence, reason)
  local prev = a.presence
  redis.call('SREM', key('presence', prev), a.id)
  redis.call('SADD', key('presence', presence), a.id)
  aset(a, 'presence', presence, 'reason', reason, 'presence_at', NOW_S)
  redis.call('RPUSH', key('agent', a.id, 'presence_log'), NOW_S .. '|' .. presence)
  redis.call('LTRIM', key('agent', a.id, 'presence_log'), -500, -1)
  notify(a.id, 'presence', {presence = presence, reason = reason})
  emit('agent.presence', {'agent', a.id, 'presence', presence, 'previous', prev, 'reason', reason})
  local made = 0
  if presence == 'available' then
    aset(a, 'missed', 0)
    if prev ~= 'available' then
      aset(a, 'idle_since', NOW_S)
    end
    refresh_agent(a)
    made = route_agent(a)
  else
    for _, tid in ipairs(redis.call('SMEMBERS', key('agent', a.id, 'tasks'))) do
      local t = load_task(tid)
      if t and t.state == 'reserved' then
        requeue(t, a, 'rescinded')
        if route_task(t) then
          made = made + 1
        end
      end
    end
    refresh_agent(a)
  end
  return made
end

-- finish completes a task and frees its agent's capacity.
local function finish(t, a)
  tset(t, 'state', 'completed', 'ended_at', NOW_S, 'wrap_until', '')
  if (t.assigned_at or '') ~= '' then
    -- Handle time: from acceptance to the end of wrap-up.
    sl_count(t, 'handled')
    sl_add(t, 'handle_ms', NOW - tonumber(t.assigned_at))
  end
  end_conversation(t)
  clear_escalations(t)
  stop_clocks(t)
  retire(t)
  emit('task.completed', with(task_fields(t), 'agent', t.agent or ''))
  local made = 0
  if a then
    release(t, a)
    notify(a.id, 'task.completed', {task_id = t.id})
    made = route_agent(a)
  end
  return made
end

-- attributes decodes a task's attributes (JSON object of strings).
local function attributes(t)
  if not t.attributes or t.attributes == '' then
    return {}
  end
  local ok, v = pcall(cjson.decode, t.attributes)
  if ok and type(v) == 'table' then
    return v
  end
  return {}
end

-- answered records that the customer reached the agent t is assigned to:
-- the first response of a call or chat, and the queue's answered counters.
local function answered(t)
  if t.customer_id and t.customer_id ~= '' then
    redis.call('HSET', key('customer', t.customer_id), 'last_agent', t.agent, 'last_agent_at', NOW_S)
  end
  if t.channel == 'voice' or t.channel == 'chat' then
    tset(t, 'first_response_at', NOW_S)
    meet_clock(t, 'fr')
  end
  local wait = NOW - tonumber(t.created_at)
  sl_count(t, 'accepted')
  sl_add(t, 'wait_ms', wait)
  return wait
end

-- replied records that an agent's reply reached the customer: it meets the
-- response clocks; the first one is the task's first response (returns 1).
local function replied(t)
  local first = 0
  if not t.first_response_at or t.first_response_at == '' then
    tset(t, 'first_response_at', NOW_S)
    first = 1
  end
  meet_clock(t, 'fr')
  meet_clock(t, 'nr')
  return first
end

-- new_handoff queues work for a provider (connect a call, send a message)
-- that must follow a committed transition: replicas claim it from the
-- handoffs set, due now, and retry it with backoff until it succeeds or
-- runs out of attempts (see claim_handoffs and finish_handoff).
local function new_handoff(id, kind, t, ...)
  redis.call('HSET', key('handoff', id), 'kind', kind, 'task', t.id, 'agent', t.agent or '',
    'attempts', 0, 'created_at', NOW_S, ...)
  redis.call('ZADD', key('handoffs'), NOW_S, id)
end

-- assign turns the open offer of t into an assignment. A provider's call
-- (connect, and the task has a call sid) is answered only once it is put
-- through: a hand-off is queued, and the first response is met when it
-- succeeds. untimed: the offer had no timeout timer (answered at once).
-- Returns the wait (ms, created to accepted) and the hand-off ('' for none).
assign = function(t, connect, untimed)
  local offer = t.offer
  if not untimed then
    redis.call('ZREM', key('timers'), 'offer|' .. offer)
  end
  tset(t, 'state', 'assigned', 'assigned_at', NOW_S, 'deadline', '')
  redis.call('HSET', key('agent', t.agent), 'missed', '0')
  -- The agents' index of GET /v1/tasks: every task an agent was assigned.
  if not UNOBSERVED then
    redis.call('ZADD', key('tasks', 'agent', t.agent), t.created_at, t.id)
  end
  local handoff, wait = '', NOW - tonumber(t.created_at)
  -- Only a provider call needs its attributes read (the hot path of chats does not).
  local call = connect and t.channel == 'voice' and attributes(t).call_sid
  if call and call ~= '' then
    handoff = 'connect.' .. offer
    new_handoff(handoff, 'connect', t, 'call_sid', call)
    tset(t, 'handoff', handoff, 'handoff_state', 'pending')
  else
    wait = answered(t)
  end
  notify(t.agent, 'task.assigned', {task_id = t.id, offer_id = offer, channel = t.channel, queue = t.queue})
  emit('task.assigned', with(task_fields(t), 'agent', t.agent, 'offer', offer, 'wait_ms', n2s(wait)))
  return wait, handoff
end

-- cancel ends an unfinished task with a reason: an open offer is taken back,
-- the agent's capacity freed (and routed). Returns the offers made.
local function cancel(t, reason)
  local prev = t.state
  redis.call('ZREM', key('timers'), 'route|' .. t.id, 'wrap|' .. t.id, 'offer|' .. (t.offer or ''), 'start|' .. t.id)
  local a = load_agent(t.agent)
  if prev == 'queued' then
    dequeue(t)
  elseif a then
    release(t, a)
    if prev == 'reserved' then
      notify(a.id, 'offer.rescinded', {offer_id = t.offer, task_id = t.id, reason = 'canceled'})
      emit('offer.rescinded', with(task_fields(t), 'agent', a.id, 'offer', t.offer))
    else
      notify(a.id, 'task.canceled', {task_id = t.id, reason = reason})
    end
  end
  tset(t, 'state', 'canceled', 'reason', reason, 'ended_at', NOW_S, 'offer', '', 'deadline', '')
  end_conversation(t)
  stop_clocks(t)
  clear_escalations(t)
  -- How long the customer waited before giving up: planners need it (Erlang A).
  local waited = ''
  if prev == 'queued' or prev == 'reserved' then
    waited = n2s(NOW - tonumber(t.created_at))
    tset(t, 'abandon_wait_ms', waited)
    if reason == 'abandoned' then
      sl_count(t, 'abandoned')
      sl_add(t, 'abandon_wait_ms', NOW - tonumber(t.created_at))
    end
  end
  retire(t)
  emit('task.canceled', with(task_fields(t), 'agent', t.agent or '', 'previous', prev, 'reason', reason,
    'wait_ms', waited))
  local made = 0
  if a then
    made = route_agent(a)
  end
  return made
end

-- apply_step applies escalation step i of a waiting task, once: raise its
-- priority, add overflow queues, notify supervisors; it is recorded on the
-- task. Returns the number of offers made.
local function apply_step(t, i)
  if t.state ~= 'queued' and t.state ~= 'reserved' then
    return 0
  end
  if string.find(t.esc_done or ',', ',' .. i .. ',', 1, true) then
    return 0
  end
  local steps = cjson.decode(t.esc or '[]')
  local st = steps[i + 1]
  if not st then
    return 0
  end
  tset(t, 'esc_done', (t.esc_done or ',') .. i .. ',')
  local queued = t.state == 'queued'
  if queued then
    dequeue(t)
  end
  if (st.raise or 0) > 0 then
    local p = math.min(100, tonumber(t.priority) + st.raise)
    tset(t, 'priority', p, 'score', n2s((100 - p) * 1e13 + tonumber(t.due_at)))
  end
  if st.min_prof and st.min_prof > 0 and st.min_prof < tonumber(t.min_prof or '99') then
    tset(t, 'min_prof', st.min_prof)
  end
  local added = {}
  for _, q in ipairs(st.overflow or {}) do
    local present = false
    for _, have in ipairs(task_queues(t)) do
      present = present or have == q
    end
    if not present then
      added[#added + 1] = q
      local o = t.overflow or ''
      if o ~= '' then
        o = o .. ','
      end
      tset(t, 'overflow', o .. q)
    end
  end
  local rec = {step = i, at = NOW, priority = tonumber(t.priority), notify = st.notify or false,
    min_proficiency = tonumber(t.min_prof or '')}
  if #added > 0 then
    rec.overflow = added
  end
  redis.call('RPUSH', key('task', t.id, 'escalations'), cjson.encode(rec))
  emit('task.escalated', with(task_fields(t), 'step', tostring(i), 'priority', tostring(t.priority),
    'overflow', table.concat(added, ','), 'notify', (st.notify and '1') or '0'))
  if queued then
    enqueue(t)
    if route_task(t) then
      return 1
    end
  end
  return 0
end

-- fire_sla applies an SLA timer: the warning (which also applies the
-- escalation steps marked at_warning) or the breach, each once per clock.
local function fire_sla(id)
  local tid, c, what = string.match(id, '^(.+)|(%a+)|(%a+)$')
  local t = load_task(tid)
  if not t or t[c .. '_state'] ~= 'running' then
    return 0, 0
  end
  local fields = with(task_fields(t), 'clock', CLOCK_NAME[c], 'due', t[c .. '_due'], 'agent', t.agent or '')
  if what == 'warn' then
    emit('sla.warning', fields)
    if t.agent and t.agent ~= '' then
      notify(t.agent, 'sla.warning', {task_id = t.id, clock = CLOCK_NAME[c], due = tonumber(t[c .. '_due'])})
    end
    local made = 0
    if c == 'fr' then
      for i, st in ipairs(cjson.decode(t.esc or '[]')) do
        if st.warning then
          made = made + apply_step(t, i - 1)
        end
      end
    end
    return 1, made
  end
  tset(t, c .. '_state', 'breached', c .. '_breached_at', NOW_S)
  if c == 'fr' then
    sl_count(t, 'breached')
  end
  emit('sla.breached', fields)
  if t.agent and t.agent ~= '' then
    notify(t.agent, 'sla.breached', {task_id = t.id, clock = CLOCK_NAME[c], due = tonumber(t[c .. '_due'])})
  end
  return 1, 0
end

-- apply_shift sets whether an agent is on shift now (when its schedule is
-- enforced), refreshes its availability, routes work to it when its shift
-- starts, and sets a timer at its next shift boundary.
-- Returns on shift (0|1) and the offers made.
local function apply_shift(a)
  local k = key('agent', a.id, 'shifts')
  redis.call('ZREM', key('timers'), 'shift|' .. a.id)
  local on, nxt = false, nil
  local cur = redis.call('ZREVRANGEBYSCORE', k, NOW_S, '-inf', 'LIMIT', 0, 1)
  if #cur > 0 then
    local e = tonumber(string.match(cur[1], ':(%d+)$'))
    if e > NOW then
      on, nxt = true, e
    end
  end
  if not on then
    local upcoming = redis.call('ZRANGEBYSCORE', k, '(' .. NOW_S, '+inf', 'LIMIT', 0, 1)
    if #upcoming > 0 then
      nxt = tonumber(string.match(upcoming[1], '^(%d+):'))
    end
  end
  local was = a.off_shift
  if on then
    aset(a, 'off_shift', '0')
  else
    aset(a, 'off_shift', '1')
  end
  if nxt then
    redis.call('ZADD', key('timers'), n2s(nxt), 'shift|' .. a.id)
  end
  refresh_agent(a)
  local made = 0
  if on then
    made = route_agent(a)
  end
  if was ~= a.off_shift then
    emit('agent.shift', {'agent', a.id, 'on_shift', (on and '1') or '0'})
  end
  return (on and 1) or 0, made
end

-- upsert_agent creates or replaces an agent's profile and eligibility, and
-- routes waiting work its new skills open. Returns created (0|1), offers made.
local function upsert_agent(id, profile, queues_json, caps_json, blocks_json, auto)
  local k = key('agent', id)
  local old = load_agent(id)
  local created = 0
  if old then
    unlist_agent(old)
  else
    created = 1
    redis.call('HSET', k, 'presence', 'offline', 'reason', '', 'presence_at', NOW_S,
      'idle_since', NOW_S, 'missed', 0)
    redis.call('SADD', key('agents'), id)
    redis.call('SADD', key('presence', 'offline'), id)
  end
  redis.call('HSET', k, 'profile', profile, 'queues', queues_json, 'caps', caps_json, 'blocks', blocks_json,
    'auto', (auto and '1') or '0')
  local a = load_agent(id)
  for _, e in ipairs(a.qs) do
    if not e.b then
      redis.call('SADD', key('q', e.q, 'agents'), id)
    end
  end
  refresh_agent(a)
  local made = route_agent(a)
  local typ = 'agent.updated'
  if created == 1 then
    typ = 'agent.created'
  end
  emit(typ, {'agent', id})
  return created, made
end

-- start_task puts a task to work: counted offered in its queue's current
-- bucket, its first-response clock started (due, warn in ms), its
-- escalation steps timed from now, and routed: offered at once, it never
-- enters its queue; otherwise it waits there. Returns the agent offered it.
local function start_task(t, due, warn)
  local bucket = bucket_now()
  if t.bucket ~= bucket then
    tset(t, 'bucket', bucket) -- a scheduled task, started in a later bucket
  end
  -- The bucket's time to live is set when its first task is counted.
  if sl_count(t, 'offered') == 1 then
    redis.call('PEXPIRE', sl_key(t), SL_TTL_MS)
  end
  start_clock(t, 'fr', due, warn)
  for i, st in ipairs(cjson.decode(t.esc or '[]')) do
    if (st.after or 0) > 0 then
      redis.call('ZADD', key('timers'), n2s(NOW + st.after), 'esc|' .. t.id .. '|' .. (i - 1))
    end
  end
  t.unqueued = true
  local a = route_task(t)
  t.unqueued = nil
  if not a then
    enqueue(t)
  end
  return a
end

-- Preambles --------------------------------------------------------------

-- open_offer finds the task of an open offer that the caller may answer
-- (expect: the agent it acts for, '' for any); or nil and the refusal.
local function open_offer(offer, expect)
  local t = load_task(string.match(offer, '^(.+)%.%d+$'))
  if not t then
    return nil, {'offer_not_found', offer}
  end
  -- Ownership first for the task's current offer (taken or open): another
  -- agent's is refused without telling its state. An earlier offer of the
  -- task is only closed.
  if t.offer == offer and expect ~= '' and expect ~= t.agent then
    return nil, {'forbidden', 'the offer is for another agent'}
  end
  if t.offer ~= offer or t.state ~= 'reserved' then
    return nil, {'offer_closed', offer}
  end
  return t
end

-- held_task finds a task in state that the caller may act on (expect: the
-- agent it acts for, '' for any); or nil and the refusal. Ownership comes
-- first: another agent's task is refused without telling its state.
local function held_task(id, state, expect)
  local t = load_task(id)
  if not t then
    return nil, {'task_not_found', id}
  end
  if expect ~= '' and expect ~= t.agent then
    return nil, {'forbidden', 'the task is not yours'}
  end
  if t.state ~= state then
    return nil, {'task_state', t.state}
  end
  return t
end
