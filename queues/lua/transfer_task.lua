-- transfer_task: move a task to another queue (it keeps its age and urgency)
-- or offer it straight to an agent who can take it now.
-- A: task (id), to_queue ('' for none), to_agent ('' for none), as_agent (the
--   agent the caller acts for, '' for any)
-- Returns offered (the agent offered the task, '' when waiting), offers (made
-- for the old agent).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
local to_queue, to_agent, expect = A.to_queue, A.to_agent, A.as_agent
-- Ownership first: another agent's task is refused without telling its state.
if expect ~= '' and expect ~= t.agent then
  return {'forbidden', 'the task is assigned to another agent'}
end
if t.state ~= 'queued' and t.state ~= 'reserved' and t.state ~= 'assigned' then
  return {'task_state', t.state}
end
local target
if to_agent ~= '' then
  if to_agent == t.agent then
    return {'same_agent', to_agent}
  end
  target = load_agent(to_agent)
  if not target then
    return {'agent_not_found', to_agent}
  end
  if not can_take(target, t.channel, entry(target, t.queue)) then
    return {'agent_unavailable', to_agent}
  end
end
local old = load_agent(t.agent)
redis.call('ZREM', key('timers'), 'route|' .. t.id, 'offer|' .. (t.offer or ''))
if t.state == 'queued' then
  dequeue(t)
elseif old then
  release(t, old)
  if t.state == 'reserved' then
    notify(old.id, 'offer.rescinded', {offer_id = t.offer, task_id = t.id, reason = 'transferred'})
    emit('offer.rescinded', with(task_fields(t), 'agent', old.id, 'offer', t.offer))
  else
    notify(old.id, 'task.transferred', {task_id = t.id})
  end
end
local from_queue, from_agent = t.queue, t.agent or ''
if to_queue ~= '' then
  t.queue = to_queue
  redis.call('ZADD', key('tasks', 'queue', to_queue), t.created_at, t.id)
end
-- The agent who passed the task on is not offered it back at once (for the
-- reoffer delay), though it may still be the best one for the queue.
local skip = ''
if from_agent ~= '' then
  skip = add_skip('', from_agent, NOW + REOFFER_MS)
end
tset(t, 'queue', t.queue, 'state', 'queued', 'agent', '', 'offer', '', 'deadline', '',
  'skip', skip, 'overflow', '')
emit('task.transferred', with(task_fields(t), 'from_queue', from_queue, 'from_agent', from_agent, 'to_agent', to_agent))
enqueue(t)
local offered = ''
if target then
  reserve(t, target)
  offered = target.id
else
  local a = route_task(t)
  if a then
    offered = a.id
  end
end
local made = 0
if old then
  made = route_agent(old)
end
return reply({offered = offered, offers = made})
