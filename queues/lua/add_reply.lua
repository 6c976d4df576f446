-- add_reply: an agent answers the customer of a task they hold. The checks
-- and the record are one step: the message is stored, and when the
-- conversation came from a provider that carries replies (Twilio), a send
-- hand-off is queued and the message is "sending" until it succeeds.
-- Otherwise (generic sources take replies from the events stream) it is
-- sent now. The first reply sent is the task's first response.
-- A: task (id), as_agent ('' for any), text, provider (whether the provider
--   the task came from can be reached: a send hand-off is queued)
-- Returns message (id), status (sent or sending), first, handoff ('' for none).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
if A.as_agent ~= '' and A.as_agent ~= t.agent then
  return {'forbidden', 'the task is assigned to another agent'}
end
if t.state ~= 'assigned' and t.state ~= 'wrapping' then
  return {'task_state', t.state}
end
if t.channel == 'voice' then
  return {'voice_task', 'a voice task takes no messages'}
end
local attrs = attributes(t)
local via = attrs.source == 'twilio'
if via and not A.provider then
  return {'provider_unavailable', 'twilio is not configured for replies'}
end
local n = tonumber(t.messages_out or '0') + 1
tset(t, 'messages_out', n)
local id = t.id .. '.m' .. n
local status = 'sent'
if via then
  status = 'sending'
end
local msg = {id = id, direction = 'out', at = NOW, agent = t.agent, text = A.text, status = status}
local len = redis.call('RPUSH', key('task', t.id, 'messages'), cjson.encode(msg))
local first, handoff = 0, ''
if via then
  handoff = 'send.' .. id
  new_handoff(handoff, 'send', t, 'message', id, 'index', len - 1, 'text', A.text,
    'from', attrs.to or '', 'to', attrs.from or '')
else
  first = replied(t)
  emit('message.sent', with(task_fields(t), 'agent', t.agent or '', 'message', id, 'first_response', first))
end
return reply({message = id, status = status, first = first == 1, handoff = handoff})
