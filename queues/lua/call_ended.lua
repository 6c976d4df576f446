-- call_ended: the caller of a call an agent holds hung up. The task stays
-- the agent's to complete (disposition, wrap-up), and the desktop is told.
-- Reported once per task.
-- A: task (id)
-- Returns told (whether the agent was told now).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
if (t.state ~= 'assigned' and t.state ~= 'wrapping') or (t.call_ended_at or '') ~= '' then
  return reply({told = false})
end
tset(t, 'call_ended_at', NOW_S)
if t.agent and t.agent ~= '' then
  notify(t.agent, 'call.ended', {task_id = t.id})
end
emit('call.ended', with(task_fields(t), 'agent', t.agent or ''))
return reply({told = true})
