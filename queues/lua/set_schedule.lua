-- set_schedule: store an agent's schedule and its working intervals (breaks
-- excluded) for the coming days, and apply it now: when schedules are
-- enforced an agent off shift (or on a break) gets no new offers, and a timer
-- at the next boundary switches it again.
-- ARGV[ARG..]: agent id, schedule json, intervals json [[start ms, end ms], ...],
--   enforce (0|1)
-- Returns {"ok", on shift (0|1), offers made}.
local a = load_agent(ARGV[ARG])
if not a then
  return {'agent_not_found', ARGV[ARG]}
end
local k = key('agent', a.id, 'shifts')
redis.call('DEL', k)
for _, iv in ipairs(cjson.decode(ARGV[ARG + 2])) do
  redis.call('ZADD', k, n2s(iv[1]), n2s(iv[1]) .. ':' .. n2s(iv[2]))
end
redis.call('HSET', key('agent', a.id), 'schedule', ARGV[ARG + 1], 'enforce', ARGV[ARG + 3])
a.enforce = ARGV[ARG + 3]
local on, made = apply_shift(a)
return {'ok', on, made}
