-- complete_task: the agent ends an assigned task. With a wrap-up time the
-- capacity stays held until wrap-up ends (timer) or the agent says ready.
-- A: task (id), as_agent (the agent the caller acts for, '' for any), disposition
-- Returns state ("wrapping"|"completed"), offers (made).
local t, refused = held_task(A.task, 'assigned', A.as_agent)
if not t then
  return refused
end
tset(t, 'disposition', A.disposition, 'handled_at', NOW_S)
local wrap = tonumber(t.wrap_ms)
if wrap > 0 then
  tset(t, 'state', 'wrapping', 'wrap_until', n2s(NOW + wrap))
  redis.call('ZADD', key('timers'), n2s(NOW + wrap), 'wrap|' .. t.id)
  notify(t.agent, 'task.wrapping', {task_id = t.id, wrap_until = NOW + wrap})
  emit('task.wrapping', with(task_fields(t), 'agent', t.agent))
  return reply({state = 'wrapping', offers = 0})
end
return reply({state = 'completed', offers = finish(t, load_agent(t.agent))})
