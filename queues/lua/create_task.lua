-- create_task: a contact arrives; enqueue it and route it (first routing event).
-- ARGV[ARG..]: id, idempotency key ('' for none), idempotency ttl ms, channel,
--   queue, priority (0-100), due_at ms, offer timeout ms, wrap-up ms,
--   customer json, attributes json
-- Returns {"ok", id, agent offered ('' when waiting)} or {"duplicate", existing id}.
local id, idem, ttl = ARGV[ARG], ARGV[ARG + 1], ARGV[ARG + 2]
if idem ~= '' then
  local existing = redis.call('GET', key('idem', idem))
  if existing then
    return {'duplicate', existing}
  end
  redis.call('SET', key('idem', idem), id, 'PX', ttl)
end
local priority = tonumber(ARGV[ARG + 5])
local due = tonumber(ARGV[ARG + 6])
local t = {id = id}
tset(t, 'id', id, 'idempotency_key', idem, 'channel', ARGV[ARG + 3], 'queue', ARGV[ARG + 4],
  'priority', priority, 'due_at', n2s(due), 'score', n2s((100 - priority) * 1e13 + due),
  'offer_ms', ARGV[ARG + 7], 'wrap_ms', ARGV[ARG + 8],
  'customer', ARGV[ARG + 9], 'attributes', ARGV[ARG + 10],
  'state', 'queued', 'created_at', n2s(NOW), 'offer_seq', 0)
enqueue(t)
emit('task.created', with(task_fields(t), 'priority', t.priority))
local a = route_task(t)
if a then
  return {'ok', id, a.id}
end
return {'ok', id, ''}
