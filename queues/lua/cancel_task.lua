-- cancel_task: end a task that is not finished, with a reason; an open offer
-- is taken back and the agent's capacity freed and routed.
-- A: task (id), reason, waiting_only (true: only a queued or reserved task, as
--   when a customer gives up; false: any unfinished task)
-- Returns previous (state), offers (made).
local t = load_task(A.task)
if not t then
  return {'task_not_found', A.task}
end
local prev = t.state
if prev == 'completed' or prev == 'canceled' then
  return {'task_state', prev}
end
if A.waiting_only and prev ~= 'queued' and prev ~= 'reserved' then
  return {'task_state', prev}
end
return reply({previous = prev, offers = cancel(t, A.reason)})
