-- delete_agent: remove an agent who holds no task.
-- A: agent (id)
-- Returns nothing, or refuses with agent_not_found or agent_busy (n tasks).
local a = load_agent(A.agent)
if not a then
  return {'agent_not_found', A.agent}
end
local held = redis.call('SCARD', key('agent', a.id, 'tasks'))
if held > 0 then
  return {'agent_busy', tostring(held)}
end
unlist_agent(a)
redis.call('SREM', key('presence', a.presence), a.id)
redis.call('SREM', key('agents'), a.id)
redis.call('DEL', key('agent', a.id), key('agent', a.id, 'tasks'), key('agent', a.id, 'stream'),
  key('agent', a.id, 'presence_log'), key('agent', a.id, 'shifts'), key('agent', a.id, 'desktops'))
redis.call('ZREM', key('timers'), 'stream|' .. a.id)
-- Desktops still connected are told, and closed (the stream is gone).
redis.call('PUBLISH', key('agent-feed'), a.id .. '\n0-0\nagent.deleted\n{}')
emit('agent.deleted', {'agent', a.id})
return reply({})
