-- release_archived: the archive has these finished tasks; their keys (and
-- their customers', once none of their contacts is open) expire a retention
-- time after each ended.
-- A: tasks [{id, ended_ms}]
-- Returns released (the tasks still in Redis).
local released = 0
for _, it in ipairs(A.tasks) do
  local f = redis.call('HMGET', key('task', it.id), 'state', 'customer_id')
  if f[1] == 'completed' or f[1] == 'canceled' then
    expire_task(it.id, f[2] or '', n2s(it.ended_ms + RETENTION_MS), false)
    released = released + 1
  end
end
return reply({released = released})
