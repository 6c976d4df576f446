-- complete_task: the agent ends an assigned task. With a wrap-up time the
-- capacity stays held until wrap-up ends (timer) or the agent says ready.
-- ARGV[ARG..ARG+2]: task id, agent the caller acts for ('' for any), disposition
-- Returns {"ok", state ("wrapping"|"completed"), offers made}.
local t = load_task(ARGV[ARG])
if not t then
  return {'task_not_found', ARGV[ARG]}
end
if t.state ~= 'assigned' then
  return {'task_state', t.state}
end
local expect = ARGV[ARG + 1]
if expect ~= '' and expect ~= t.agent then
  return {'forbidden', 'the task is assigned to another agent'}
end
tset(t, 'disposition', ARGV[ARG + 2], 'handled_at', n2s(NOW))
local wrap = tonumber(t.wrap_ms)
if wrap > 0 then
  tset(t, 'state', 'wrapping', 'wrap_until', n2s(NOW + wrap))
  redis.call('ZADD', key('timers'), n2s(NOW + wrap), 'wrap|' .. t.id)
  notify(t.agent, 'task.wrapping', {task_id = t.id, wrap_until = NOW + wrap})
  emit('task.wrapping', with(task_fields(t), 'agent', t.agent))
  return {'ok', 'wrapping', 0}
end
return {'ok', 'completed', finish(t, load_agent(t.agent))}
