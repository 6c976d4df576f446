-- accept_offer: the agent accepts an open offer; the task becomes assigned.
-- A: offer (id), as_agent (the agent the caller acts for, '' for any),
--   connect (calls from the provider must be put through to the agent)
-- A provider call is answered only once it is put through: the accept queues
-- that hand-off, and the first response is met when it succeeds.
-- Returns task, agent, queue, channel, wait_ms (created to accepted),
-- handoff (the hand-off to run, '' for none).
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
local handoff, wait = '', NOW - tonumber(t.created_at)
-- Only a provider's call needs its attributes read (the hot path of chats does not).
local call = A.connect and t.channel == 'voice' and attributes(t).call_sid
if call and call ~= '' then
  handoff = 'connect.' .. offer
  new_handoff(handoff, 'connect', t, 'call_sid', call)
  tset(t, 'handoff', handoff, 'handoff_state', 'pending')
else
  wait = answered(t)
end
notify(t.agent, 'task.assigned', {task_id = t.id, offer_id = offer, channel = t.channel, queue = t.queue})
emit('task.assigned', with(task_fields(t), 'agent', t.agent, 'offer', offer, 'wait_ms', n2s(wait)))
return reply({task = t.id, agent = t.agent, queue = t.queue, channel = t.channel, wait_ms = wait, handoff = handoff})
