-- trim_index: removes from task indexes (sorted sets of task ids by creation
-- time) the tasks retention has expired. Only entries created before cutoff
-- can be gone (a task expires a retention time after it ends); older tasks
-- still open stay and are stepped over.
-- A: queues and agents (whose indexes to trim, after the index of all tasks),
--   cutoff_ms, budget (entries to look at in all)
-- Returns removed, and done (false: the budget ran out first).
local removed, budget = 0, A.budget
local done = true
local indexes = {key('tasks')}
for _, q in ipairs(A.queues) do
  indexes[#indexes + 1] = key('tasks', 'queue', q)
end
for _, id in ipairs(A.agents) do
  indexes[#indexes + 1] = key('tasks', 'agent', id)
end
for _, idx in ipairs(indexes) do
  local offset = 0
  while true do
    if budget <= 0 then
      done = false
      break
    end
    local ids = redis.call('ZRANGEBYSCORE', idx, '-inf', '(' .. n2s(A.cutoff_ms), 'LIMIT', offset, math.min(budget, 200))
    if #ids == 0 then
      break
    end
    budget = budget - #ids
    local gone = {}
    for _, id in ipairs(ids) do
      if redis.call('EXISTS', key('task', id)) == 0 then
        gone[#gone + 1] = id
      end
    end
    if #gone > 0 then
      redis.call('ZREM', idx, unpack(gone))
      removed = removed + #gone
    end
    offset = offset + #ids - #gone
  end
  if not done then
    break
  end
end
return reply({removed = removed, done = done})
