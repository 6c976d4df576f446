-- cancel_task: end a task that is not finished, with a reason; an open offer
-- is taken back and the agent's capacity freed and routed.
-- A: task (id), reason, waiting_only (true: only a queued or reserved task, as
--   when a customer gives up; false: any unfinished task)
-- Returns previous (state), offers (made).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
local reason = A.reason
local prev = t.state
if prev == 'completed' or prev == 'canceled' then
  return {'task_state', prev}
end
if A.waiting_only and prev ~= 'queued' and prev ~= 'reserved' then
  return {'task_state', prev}
end
redis.call('ZREM', key('timers'), 'route|' .. t.id, 'wrap|' .. t.id, 'offer|' .. (t.offer or ''))
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
tset(t, 'state', 'canceled', 'reason', reason, 'ended_at', n2s(NOW), 'offer', '', 'deadline', '')
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
emit('task.canceled', with(task_fields(t), 'agent', t.agent or '', 'previous', prev, 'reason', reason,
  'wait_ms', waited))
local made = 0
if a then
  made = route_agent(a)
end
return reply({previous = prev, offers = made})
