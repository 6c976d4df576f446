-- claim_handoffs: take provider hand-offs that are due, one attempt each.
-- A claimed hand-off is leased: it falls due again after lease_ms unless
-- the attempt reports first (finish_handoff), so the work of a replica that
-- died mid-attempt passes to another. A hand-off whose task has moved on
-- (the caller hung up, the call was canceled) is dropped.
-- A: id (one hand-off; '' for any that are due), limit, lease_ms
-- Returns handoffs: [{id, kind, task, agent, attempts, call_sid | message,
--   index, text, from, to}] (null for none).
local ids = {}
if A.id ~= '' then
  local due = redis.call('ZSCORE', key('handoffs'), A.id)
  if due and tonumber(due) <= NOW then
    ids = {A.id}
  end
else
  ids = redis.call('ZRANGEBYSCORE', key('handoffs'), '-inf', NOW_S, 'LIMIT', 0, A.limit)
end
local out = {}
for _, id in ipairs(ids) do
  local h = hgetall(key('handoff', id))
  local t = h.task and load_task(h.task)
  local live = t ~= nil
  if live and h.kind == 'connect' then
    live = t.handoff == id and t.state == 'assigned' and t.handoff_state == 'pending'
  end
  if not live then
    redis.call('ZREM', key('handoffs'), id)
    redis.call('DEL', key('handoff', id))
  else
    h.id = id
    h.attempts = redis.call('HINCRBY', key('handoff', id), 'attempts', 1)
    redis.call('ZADD', key('handoffs'), n2s(NOW + A.lease_ms), id)
    out[#out + 1] = h
  end
end
if #out == 0 then
  out = cjson.null
end
return reply({handoffs = out})
