-- accept_offer: the agent accepts an open offer; the task becomes assigned.
-- A: offer (id), as_agent (the agent the caller acts for, '' for any)
-- Returns task, agent, queue, channel, wait_ms (created to accepted).
local offer = A.offer
local t, refused = open_offer(offer, A.as_agent)
if not t then
  return refused
end
if NOW >= tonumber(t.deadline) then
  return {'offer_expired', offer}
end
redis.call('ZREM', key('timers'), 'offer|' .. offer)
tset(t, 'state', 'assigned', 'assigned_at', n2s(NOW), 'deadline', '')
redis.call('HSET', key('agent', t.agent), 'missed', 0)
if t.customer_id and t.customer_id ~= '' then
  redis.call('HSET', key('customer', t.customer_id), 'last_agent', t.agent, 'last_agent_at', n2s(NOW))
end
if t.channel == 'voice' or t.channel == 'chat' then
  tset(t, 'first_response_at', n2s(NOW))
  meet_clock(t, 'fr')
end
local wait = NOW - tonumber(t.created_at)
sl_count(t, 'accepted')
sl_add(t, 'wait_ms', wait)
notify(t.agent, 'task.assigned', {task_id = t.id, offer_id = offer, channel = t.channel, queue = t.queue})
emit('task.assigned', with(task_fields(t), 'agent', t.agent, 'offer', offer, 'wait_ms', n2s(wait)))
return reply({task = t.id, agent = t.agent, queue = t.queue, channel = t.channel, wait_ms = wait})
