-- message_status: a provider reports an outbound message failed; record it on
-- the task and tell its agent, once per message and report.
-- A: provider_id (the provider's message id), status, error_code
-- Returns {"ok", task id} or {"message_not_found"}.
local mid, status, code = A.provider_id, A.status, A.error_code
local tid = redis.call('GET', key('msg', mid))
local t = load_task(tid)
if not t then
  return {'message_not_found', mid}
end
-- Providers resend status callbacks: the same report twice counts once.
local report = status .. ' ' .. code
if redis.call('HGET', key('task', t.id, 'delivery'), mid) == report then
  return reply({task = t.id})
end
redis.call('HSET', key('task', t.id, 'delivery'), mid, report)
tset(t, 'delivery_failures', tonumber(t.delivery_failures or '0') + 1)
if t.agent and t.agent ~= '' then
  notify(t.agent, 'message.failed', {task_id = t.id, message_id = mid, status = status, error_code = code})
end
emit('message.failed', with(task_fields(t), 'message', mid, 'status', status, 'error_code', code))
return reply({task = t.id})
