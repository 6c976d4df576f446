-- set_schedule: store an agent's schedule and its working intervals (breaks
-- excluded) for the coming days, and apply it now: off shift (or on a break)
-- the agent gets no new offers from queues that enforce schedules, and a
-- timer at the next boundary switches it again.
-- A: schedules, a list of {agent, schedule (JSON text), shifts ([[start ms, end ms], ...])}
-- Every agent must exist; the whole list is applied or none of it.
-- Returns on_shift (agents on shift now), offers (made).
local rows = A.schedules
for _, row in ipairs(rows) do
  if redis.call('EXISTS', key('agent', row.agent)) == 0 then
    return {'agent_not_found', row.agent}
  end
end
local on_shift, made = 0, 0
for _, row in ipairs(rows) do
  local a = load_agent(row.agent)
  local k = key('agent', a.id, 'shifts')
  redis.call('DEL', k)
  for _, iv in ipairs(row.shifts) do
    redis.call('ZADD', k, n2s(iv[1]), n2s(iv[1]) .. ':' .. n2s(iv[2]))
  end
  redis.call('HSET', key('agent', a.id), 'schedule', row.schedule)
  local on, m = apply_shift(a)
  on_shift, made = on_shift + on, made + m
end
return reply({on_shift = on_shift, offers = made})
