-- send_surveys: asks the surveys that are due. The customer's answer is
-- taken for the survey's window (survey:<customer>, see create_task). On a
-- channel that carries messages through the provider the contact came from
-- (SMS, WhatsApp through Twilio) the question is a message of the
-- conversation, sent by a hand-off; every survey is also a survey.sent event,
-- which generic sources and chat widgets take to ask it themselves.
-- A: limit, provider (the provider can be reached)
-- Returns sent.
local sent = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', key('surveys'), '-inf', NOW_S, 'LIMIT', 0, A.limit)) do
  redis.call('ZREM', key('surveys'), id)
  local t = load_task(id)
  local cid = t and t.customer_id or ''
  if t and t.survey_state == 'scheduled' and cid ~= '' and
    redis.call('HGET', key('customer', cid), 'survey_opt_out') ~= '1' then
    redis.call('SET', key('survey', cid), id, 'PX', t.survey_window_ms)
    tset(t, 'survey_state', 'sent', 'survey_sent_at', NOW_S)
    local attrs = attributes(t)
    local via = 'event'
    if attrs.source == 'twilio' and A.provider and t.channel ~= 'voice' then
      via = 'twilio'
      local mid = t.id .. '.survey'
      local len = redis.call('RPUSH', key('task', t.id, 'messages'), cjson.encode({id = mid, direction = 'out',
        at = NOW, text = t.survey_question, status = 'sending', survey = true}))
      new_handoff('send.' .. mid, 'send', t, 'agent', '', 'survey', '1', 'message', mid, 'index', len - 1,
        'text', t.survey_question, 'from', attrs.to or '', 'to', attrs.from or '')
    end
    emit('survey.sent', with(task_fields(t), 'customer', cid, 'kind', t.survey_kind, 'question', t.survey_question,
      'via', via))
    sent = sent + 1
  end
end
return reply({sent = sent})
