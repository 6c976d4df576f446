-- end_wrapup: the agent says ready before wrap-up time ends.
-- ARGV[ARG..ARG+1]: task id, agent the caller acts for ('' for any)
-- Returns {"ok", offers made}.
local t = load_task(ARGV[ARG])
if not t then
  return {'task_not_found', ARGV[ARG]}
end
if t.state ~= 'wrapping' then
  return {'task_state', t.state}
end
local expect = ARGV[ARG + 1]
if expect ~= '' and expect ~= t.agent then
  return {'forbidden', 'the task is assigned to another agent'}
end
redis.call('ZREM', key('timers'), 'wrap|' .. t.id)
return {'ok', finish(t, load_agent(t.agent))}
