-- create_task: a contact arrives; enqueue it and route it (first routing event).
-- With a customer identity, the contact is linked to its customer (found by
-- identity, or created), joins the customer's open conversation on the same
-- channel instead of making a task when join is 1, goes first to the agent
-- who served the customer last (within the window), and enters the timeline.
-- A: id, idempotency_key ('' for none), idempotency_ttl_ms, request_digest
--   (of the caller's request: the same key with another digest is refused
--   with idempotency_conflict; '' for providers' event ids), channel, queue,
--   priority (0-100), due_at (ms), offer_ms (offer timeout), wrap_ms (wrap-up),
--   customer and attributes (JSON text, stored as given), identities (keys; the
--   first is the primary), new_customer (the customer id to use if no identity
--   is known yet), customer_name, message (JSON text, '' for none), join (the
--   message joins the customer's open conversation), preferred_window_ms,
--   preferred_wait_ms, first_warn_at, next_reply_due, next_reply_warn (ms, 0:
--   no such clock), escalation (JSON text: [{after, warning, raise, overflow, notify}]),
--   kind ('' for a contact, callback: an outbound call to make), not_before
--   (ms; later than now: the task is scheduled and starts then, see start_task),
--   score (the message read as a survey score, -1: not one), opt_out (the
--   message is a survey opt-out word), skill (the queue's), repeat_window_ms
--   (a contact after the customer's previous one about the same skill, open
--   or ended this long ago at most, is a repeat: task.created's repeat_of)
-- A message of a customer with a survey pending that is a score in the
-- survey's range answers it, and one that is an opt-out word stops surveys:
-- neither makes a contact (survey: answered or opted_out, task: the
-- surveyed task). An opt-out word otherwise stops surveys and is a contact.
-- Returns task (id), agent (offered, '' when waiting), customer (id), joined;
-- or refuses with duplicate (the existing task's id).
-- What Go leaves out is empty.
for _, f in ipairs({'idempotency_key', 'request_digest', 'customer_name', 'message', 'new_customer', 'skill', 'kind'}) do
  A[f] = A[f] or ''
end
for _, f in ipairs({'idempotency_ttl_ms', 'priority', 'offer_ms', 'wrap_ms', 'preferred_window_ms', 'preferred_wait_ms',
  'first_warn_at', 'next_reply_due', 'next_reply_warn', 'not_before', 'repeat_window_ms'}) do
  A[f] = A[f] or 0
end
A.customer, A.attributes, A.escalation = A.customer or '{}', A.attributes or '{}', A.escalation or '[]'
local id, idem, ttl = A.id, A.idempotency_key, A.idempotency_ttl_ms
local channel = A.channel
if idem ~= '' then
  local existing = redis.call('GET', key('idem', idem))
  if existing then
    -- The same key for another request is a mistake to report, not a replay.
    if A.request_digest ~= '' and redis.call('HGET', key('task', existing), 'request_digest') ~= A.request_digest then
      return {'idempotency_conflict', existing}
    end
    return {'duplicate', existing}
  end
end

local identities, cid, name = A.identities or {}, '', A.customer_name
local message = A.message
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
    cid = A.new_customer
    redis.call('HSET', key('customer', cid), 'id', cid, 'created_at', NOW_S)
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

  -- Only a score or an opt-out word can be about a survey: other messages
  -- cost no read.
  local pending = ((A.score or -1) >= 0 or A.opt_out) and redis.call('GET', key('survey', cid))
  local answer = pending and survey_answer(pending, cid, A.score or -1, A.opt_out)
  if answer then
    if idem ~= '' then
      redis.call('SET', key('idem', idem), pending, 'PX', ttl)
    end
    return reply({task = pending, agent = '', customer = cid, joined = false, survey = answer})
  end
  if A.opt_out then
    redis.call('HSET', key('customer', cid), 'survey_opt_out', '1')
  end

  -- An open conversation on this channel takes the message.
  if A.join then
    local open = load_task(redis.call('GET', key('conv', cid, channel)))
    if open and open.state ~= 'completed' and open.state ~= 'canceled' then
      if idem ~= '' then
        redis.call('SET', key('idem', idem), open.id, 'PX', ttl)
      end
      add_message(open, message, A.next_reply_due, A.next_reply_warn)
      return reply({task = open.id, agent = open.agent or '', customer = cid, joined = true})
    end
  end
end

if idem ~= '' then
  redis.call('SET', key('idem', idem), id, 'PX', ttl)
end
local priority = A.priority
local due = A.due_at
local t = {id = id}
tset(t, 'id', id, 'idempotency_key', idem, 'channel', channel, 'queue', A.queue,
  'priority', priority, 'due_at', n2s(due), 'score', n2s((100 - priority) * 1e13 + due),
  'offer_ms', n2s(A.offer_ms), 'wrap_ms', n2s(A.wrap_ms),
  'customer', A.customer, 'attributes', A.attributes,
  'state', 'queued', 'created_at', NOW_S, 'offer_seq', 0, 'customer_id', cid,
  'bucket', bucket_now(), 'esc', A.escalation, 'request_digest', A.request_digest,
  'skill', A.skill or '')
-- Indexes of GET /v1/tasks, by creation time: all tasks, and per queue.
if not UNOBSERVED then
  redis.call('ZADD', key('tasks'), NOW_S, id)
  redis.call('ZADD', key('tasks', 'queue', A.queue), NOW_S, id)
end
local repeat_of = ''
if cust then
  if (A.repeat_window_ms or 0) > 0 then
    local prev = redis.call('ZREVRANGE', key('customer', cid, 'timeline'), 0, 0)[1]
    if prev then
      local f = tfields(prev, 'skill', 'ended_at')
      if (f[1] or '') == A.skill and (not f[2] or f[2] == '' or NOW - tonumber(f[2]) <= A.repeat_window_ms) then
        repeat_of = prev
      end
    end
  end
  redis.call('ZADD', key('customer', cid, 'timeline'), NOW_S, id)
  customer_opened(cid)
  if A.join then
    redis.call('SET', key('conv', cid, channel), id)
  end
  local last, at = cust.last_agent, tonumber(cust.last_agent_at or '0')
  local wait = A.preferred_wait_ms
  if last and last ~= '' and wait > 0 and NOW - at <= A.preferred_window_ms then
    tset(t, 'pref', last, 'pref_until', n2s(NOW + wait))
  end
end
local kind = A.kind or ''
if kind ~= '' then
  tset(t, 'kind', kind)
end
emit('task.created', with(task_fields(t), 'priority', t.priority, 'customer', cid, 'kind', kind,
  'not_before', n2s(A.not_before or 0), 'repeat_of', repeat_of))
if message ~= '' then
  add_message(t, message, A.next_reply_due, A.next_reply_warn)
end
-- Work for later (a callback for when the queue opens) waits, scheduled,
-- for its start: it is counted, queued and timed from then (start_task).
if (A.not_before or 0) > NOW then
  tset(t, 'state', 'scheduled', 'not_before', n2s(A.not_before), 'fr_due_at', n2s(due), 'fr_warn_at', n2s(A.first_warn_at))
  redis.call('ZADD', key('timers'), n2s(A.not_before), 'start|' .. id)
  return reply({task = id, agent = '', customer = cid, joined = false})
end
local a = start_task(t, due, A.first_warn_at)
local offered = ''
if a then
  offered = a.id
end
return reply({task = id, agent = offered, customer = cid, joined = false})
