-- set_schedule: store an agent's schedule and its working intervals (breaks
-- excluded) for the coming days, and apply it now: off shift (or on a break)
-- the agent gets no new offers from queues that enforce schedules, and a
-- timer at the next boundary switches it again.
-- ARGV[ARG..]: json [[agent id, schedule json, intervals json [[start ms, end ms], ...]], ...]
-- Every agent must exist; the whole list is applied or none of it.
-- Returns {"ok", agents on shift now, offers made}.
local rows = cjson.decode(ARGV[ARG])
for _, row in ipairs(rows) do
  if redis.call('EXISTS', key('agent', row[1])) == 0 then
    return {'agent_not_found', row[1]}
  end
end
local on_shift, made = 0, 0
for _, row in ipairs(rows) do
  local a = load_agent(row[1])
  local k = key('agent', a.id, 'shifts')
  redis.call('DEL', k)
  for _, iv in ipairs(cjson.decode(row[3])) do
    redis.call('ZADD', k, n2s(iv[1]), n2s(iv[1]) .. ':' .. n2s(iv[2]))
  end
  redis.call('HSET', key('agent', a.id), 'schedule', row[2])
  local on, m = apply_shift(a)
  on_shift, made = on_shift + on, made + m
end
return {'ok', on_shift, made}
