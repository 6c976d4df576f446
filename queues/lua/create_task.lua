-- create_task: a contact arrives; enqueue it and route it (first routing event).
-- With a customer identity, the contact is linked to its customer (found by
-- identity, or created), joins the customer's open conversation on the same
-- channel instead of making a task when join is 1, goes first to the agent
-- who served the customer last (within the window), and enters the timeline.
-- ARGV[ARG..]:
--   +0 id, +1 idempotency key ('' for none), +2 idempotency ttl ms, +3 channel,
--   +4 queue, +5 priority (0-100), +6 due_at ms, +7 offer timeout ms, +8 wrap-up ms,
--   +9 customer json, +10 attributes json,
--   +11 identity keys (json array, [] for none; the first is the primary),
--   +12 customer id to use if no identity is known yet,
--   +13 customer name, +14 message json ('' for none), +15 join (0|1),
--   +16 preferred-agent window ms, +17 preferred-agent wait ms,
--   +18 first-response warning ms, +19 next-reply due ms, +20 next-reply warning ms
--   (0: no such clock), +21 escalation steps json [{after, warning, raise, overflow, notify}]
-- Returns {"ok", task id, agent offered ('' when waiting), customer id, joined (0|1)}
-- or {"duplicate", existing task id}.
local id, idem, ttl = ARGV[ARG], ARGV[ARG + 1], ARGV[ARG + 2]
local channel = ARGV[ARG + 3]
if idem ~= '' then
  local existing = redis.call('GET', key('idem', idem))
  if existing then
    return {'duplicate', existing}
  end
end

local identities, cid, name = cjson.decode(ARGV[ARG + 11]), '', ARGV[ARG + 13]
local message = ARGV[ARG + 14]
local cust
if #identities > 0 then
  -- The customer is the one any of the identities is linked to; identities
  -- not linked yet join them (one linked elsewhere stays there: no merging).
  local linked = {}
  for i, ident in ipairs(identities) do
    linked[i] = redis.call('GET', key('identity', ident))
    if linked[i] and cid == '' then
      cid = linked[i]
    end
  end
  if cid == '' then
    cid = ARGV[ARG + 12]
    redis.call('HSET', key('customer', cid), 'id', cid, 'created_at', n2s(NOW))
    emit('customer.created', {'customer', cid, 'identity', identities[1]})
  end
  for i, ident in ipairs(identities) do
    if not linked[i] then
      redis.call('SET', key('identity', ident), cid)
      redis.call('SADD', key('customer', cid, 'identities'), ident)
    end
  end
  if name ~= '' then
    redis.call('HSET', key('customer', cid), 'name', name)
  end
  cust = hgetall(key('customer', cid))

  -- An open conversation on this channel takes the message.
  if ARGV[ARG + 15] == '1' then
    local open = load_task(redis.call('GET', key('conv', cid, channel)))
    if open and open.state ~= 'completed' and open.state ~= 'canceled' then
      if idem ~= '' then
        redis.call('SET', key('idem', idem), open.id, 'PX', ttl)
      end
      add_message(open, message, ARGV[ARG + 19], ARGV[ARG + 20])
      return {'ok', open.id, open.agent or '', cid, 1}
    end
  end
end

if idem ~= '' then
  redis.call('SET', key('idem', idem), id, 'PX', ttl)
end
local priority = tonumber(ARGV[ARG + 5])
local due = tonumber(ARGV[ARG + 6])
local t = {id = id}
tset(t, 'id', id, 'idempotency_key', idem, 'channel', channel, 'queue', ARGV[ARG + 4],
  'priority', priority, 'due_at', n2s(due), 'score', n2s((100 - priority) * 1e13 + due),
  'offer_ms', ARGV[ARG + 7], 'wrap_ms', ARGV[ARG + 8],
  'customer', ARGV[ARG + 9], 'attributes', ARGV[ARG + 10],
  'state', 'queued', 'created_at', n2s(NOW), 'offer_seq', 0, 'customer_id', cid,
  'bucket', n2s(math.floor(NOW / BUCKET_MS)), 'esc', ARGV[ARG + 21])
if cust then
  redis.call('ZADD', key('customer', cid, 'timeline'), n2s(NOW), id)
  if ARGV[ARG + 15] == '1' then
    redis.call('SET', key('conv', cid, channel), id)
  end
  local last, at = cust.last_agent, tonumber(cust.last_agent_at or '0')
  local wait = tonumber(ARGV[ARG + 17])
  if last and last ~= '' and wait > 0 and NOW - at <= tonumber(ARGV[ARG + 16]) then
    tset(t, 'pref', last, 'pref_until', n2s(NOW + wait))
  end
end
enqueue(t)
emit('task.created', with(task_fields(t), 'priority', t.priority, 'customer', cid))
sl_count(t, 'offered')
redis.call('PEXPIRE', sl_key(t), SL_TTL_MS)
start_clock(t, 'fr', due, ARGV[ARG + 18])
for i, st in ipairs(cjson.decode(ARGV[ARG + 21])) do
  if (st.after or 0) > 0 then
    redis.call('ZADD', key('timers'), n2s(NOW + st.after), 'esc|' .. id .. '|' .. (i - 1))
  end
end
if message ~= '' then
  add_message(t, message, ARGV[ARG + 19], ARGV[ARG + 20])
end
local a = route_task(t)
local offered = ''
if a then
  offered = a.id
end
return {'ok', id, offered, cid, 0}
