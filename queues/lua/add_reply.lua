-- add_reply: record a message an agent sent to the customer. The first one
-- is the task's first response (messaging channels).
-- ARGV[ARG..]: task id, message json, provider message id ('' for none),
--   status-lookup ttl ms
-- Returns {"ok", first response (0|1)}.
local t = load_task(ARGV[ARG])
if not t then
  return {'task_not_found', ARGV[ARG]}
end
redis.call('RPUSH', key('task', t.id, 'messages'), ARGV[ARG + 1])
redis.call('HINCRBY', key('task', t.id), 'messages_out', 1)
if ARGV[ARG + 2] ~= '' then
  redis.call('SET', key('msg', ARGV[ARG + 2]), t.id, 'PX', ARGV[ARG + 3])
end
local first = 0
if not t.first_response_at or t.first_response_at == '' then
  tset(t, 'first_response_at', n2s(NOW))
  first = 1
end
meet_clock(t, 'fr')
meet_clock(t, 'nr')
emit('message.sent', with(task_fields(t), 'agent', t.agent or '', 'first_response', first))
return {'ok', first}
