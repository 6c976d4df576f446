-- finish_handoff: the outcome of one attempt of a provider hand-off.
-- Success: a call is put through (the caller is answered: first response,
-- answered counters) or a message is sent (its status, the response clocks,
-- the provider id that later delivery reports carry). Failure with attempts
-- left: due again after retry_ms. Final failure: a call goes back to its
-- queue keeping its age, skipping the agent a while (or, when the caller is
-- gone, is canceled); a message is marked failed on the task. Either way the
-- agent's desktop is told why.
-- A: id, attempt (the attempt reported: a report of an attempt that lost its
--   lease is ignored), ok, provider_id, error, final (no attempt left or the
--   error is permanent), gone (the call no longer exists), retry_ms, ttl_ms
--   (how long a sent message's provider id finds the task)
-- Returns outcome (done, retry, failed, stale), offers (made), first (a reply
-- sent was the task's first response).
local h = hgetall(key('handoff', A.id))
if not h.kind or tonumber(h.attempts) ~= A.attempt then
  return reply({outcome = 'stale', offers = 0})
end
local t = load_task(h.task)
local function drop()
  redis.call('ZREM', key('handoffs'), A.id)
  redis.call('DEL', key('handoff', A.id))
end
if not t or (h.kind == 'connect' and (t.handoff ~= A.id or t.state ~= 'assigned')) then
  drop()
  return reply({outcome = 'stale', offers = 0})
end
if not A.ok and not A.final then
  redis.call('HSET', key('handoff', A.id), 'last_error', A.error)
  redis.call('ZADD', key('handoffs'), n2s(NOW + A.retry_ms), A.id)
  return reply({outcome = 'retry', offers = 0})
end
drop()
local made = 0
if h.kind == 'connect' then
  if A.ok then
    tset(t, 'handoff_state', 'connected')
    local wait = answered(t)
    notify(t.agent, 'call.connected', {task_id = t.id})
    emit('call.connected', with(task_fields(t), 'agent', t.agent, 'wait_ms', n2s(wait)))
    return reply({outcome = 'done', offers = 0})
  end
  local a = load_agent(t.agent)
  local after = 'requeued'
  if A.gone then
    after = 'canceled'
  end
  notify(t.agent, 'task.handoff_failed', {task_id = t.id, error = A.error, next = after})
  emit('task.handoff_failed', with(task_fields(t), 'agent', t.agent, 'error', A.error, 'next', after))
  tset(t, 'handoff_state', 'failed', 'handoff_error', A.error)
  if A.gone then
    made = cancel(t, 'caller_gone')
  else
    local skip = add_skip(t.skip or '', t.agent, NOW + REOFFER_MS)
    if a then
      release(t, a)
    end
    tset(t, 'state', 'queued', 'agent', '', 'offer', '', 'deadline', '', 'assigned_at', '', 'skip', skip,
      'pref', '', 'handoff', '')
    enqueue(t)
    if route_task(t) then
      made = 1
    end
    if a then
      made = made + route_agent(a)
    end
  end
  return reply({outcome = 'failed', offers = made})
end
-- send
local mk = key('task', t.id, 'messages')
local idx = tonumber(h.index)
local raw = redis.call('LINDEX', mk, idx)
local m = raw and cjson.decode(raw) or nil
if m and m.id ~= h.message then
  m = nil
end
if A.ok then
  if m then
    m.status, m.provider_id = 'sent', A.provider_id
    redis.call('LSET', mk, idx, cjson.encode(m))
  end
  if A.provider_id ~= '' then
    redis.call('SET', key('msg', A.provider_id), t.id, 'PX', n2s(A.ttl_ms))
  end
  -- A survey's question is no response of the agent's.
  local first = 0
  if h.survey ~= '1' then
    first = replied(t)
  end
  emit('message.sent', with(task_fields(t), 'agent', h.agent, 'message', h.message, 'first_response', first))
  return reply({outcome = 'done', offers = 0, first = first == 1})
end
if m then
  m.status, m.error = 'failed', A.error
  redis.call('LSET', mk, idx, cjson.encode(m))
end
tset(t, 'send_failures', tonumber(t.send_failures or '0') + 1)
if h.agent ~= '' then
  notify(h.agent, 'message.failed', {task_id = t.id, message_id = h.message, status = 'failed', error = A.error})
end
emit('message.failed', with(task_fields(t), 'message', h.message, 'status', 'failed', 'error', A.error))
return reply({outcome = 'failed', offers = 0})
