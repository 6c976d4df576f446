-- add_reply: record a message an agent sent to the customer. The first one
-- is the task's first response (messaging channels).
-- A: task (id), message (JSON text), provider_id ('' for none: the provider's
--   message id, for its delivery status), ttl_ms (how long that lookup lasts)
-- Returns first (whether this was the task's first response).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
redis.call('RPUSH', key('task', t.id, 'messages'), A.message)
redis.call('HINCRBY', key('task', t.id), 'messages_out', 1)
if A.provider_id ~= '' then
  redis.call('SET', key('msg', A.provider_id), t.id, 'PX', n2s(A.ttl_ms))
end
local first = 0
if not t.first_response_at or t.first_response_at == '' then
  tset(t, 'first_response_at', n2s(NOW))
  first = 1
end
meet_clock(t, 'fr')
meet_clock(t, 'nr')
emit('message.sent', with(task_fields(t), 'agent', t.agent or '', 'first_response', first))
return reply({first = first == 1})
