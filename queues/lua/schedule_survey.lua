-- schedule_survey: a completed contact is to be surveyed at due_ms, unless
-- it has no customer, was surveyed already or its customer opted out.
-- A: task (id), kind (csat, nps), question (text), due_ms, window_ms (how
--   long an answer is taken once it is asked)
-- Returns scheduled, and why not (reason).
local t = load_task(A.task)
if not t or t.state ~= 'completed' then
  return reply({scheduled = false, reason = 'not_completed'})
end
if (t.survey_state or '') ~= '' then
  return reply({scheduled = false, reason = 'surveyed'})
end
local cid = t.customer_id or ''
if cid == '' then
  return reply({scheduled = false, reason = 'no_customer'})
end
if redis.call('HGET', key('customer', cid), 'survey_opt_out') == '1' then
  return reply({scheduled = false, reason = 'opted_out'})
end
tset(t, 'survey_kind', A.kind, 'survey_question', A.question, 'survey_window_ms', n2s(A.window_ms),
  'survey_state', 'scheduled')
redis.call('ZADD', key('surveys'), n2s(A.due_ms), t.id)
return reply({scheduled = true, reason = ''})
