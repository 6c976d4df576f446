-- end_wrapup: the agent says ready before wrap-up time ends.
-- A: task (id), as_agent (the agent the caller acts for, '' for any)
-- Returns offers (made).
local t, refused = held_task(A.task, 'wrapping', A.as_agent)
if not t then
  return refused
end
redis.call('ZREM', key('timers'), 'wrap|' .. t.id)
return reply({offers = finish(t, load_agent(t.agent))})
