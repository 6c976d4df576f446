-- message_status: a provider reports an outbound message failed; record it on
-- the task and tell its agent.
-- ARGV[ARG..]: provider message id, status, error code
-- Returns {"ok", task id} or {"message_not_found"}.
local tid = redis.call('GET', key('msg', ARGV[ARG]))
local t = load_task(tid)
if not t then
  return {'message_not_found', ARGV[ARG]}
end
redis.call('HSET', key('task', t.id, 'delivery'), ARGV[ARG], ARGV[ARG + 1] .. ' ' .. ARGV[ARG + 2])
redis.call('HINCRBY', key('task', t.id), 'delivery_failures', 1)
if t.agent and t.agent ~= '' then
  notify(t.agent, 'message.failed', {task_id = t.id, message_id = ARGV[ARG], status = ARGV[ARG + 1], error_code = ARGV[ARG + 2]})
end
emit('message.failed', with(task_fields(t), 'message', ARGV[ARG], 'status', ARGV[ARG + 1], 'error_code', ARGV[ARG + 2]))
return {'ok', t.id}
