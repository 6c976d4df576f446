-- desktops: which replicas hold each agent's desktop (an open event stream of
-- the agent's own), so that an agent whose desktop is gone everywhere goes
-- away after a grace period, and a replica that stops is noticed. A replica
-- renews one lease for all its desktops, whatever their number.
-- A: op ("open", "close" or "renew"), replica (id), grace_ms, agents (ids:
--   open, close).
--   open:  the replica holds these agents' desktops now: pending disconnects
--          are called off.
--   close: the replica's last desktop of these agents closed: an agent with
--          no desktop left anywhere goes away after the grace period.
--   renew: the replica is alive until now + grace; and up to 500 desktops of
--          replicas whose lease ran out are let go (their agents' grace
--          period has passed: they go away now).
-- Returns more (renew left work for another call).
local op, replica, grace = A.op, A.replica, A.grace_ms
local agents = A.agents or {}
local replicas = key('stream-replicas')

-- let_go drops replica r from agent id's desktops; with none left, the
-- agent's disconnect timer is set to due.
local function let_go(r, id, due)
  local holders = key('agent', id, 'desktops')
  redis.call('SREM', holders, r)
  if redis.call('SCARD', holders) == 0 and redis.call('EXISTS', key('agent', id)) == 1 then
    redis.call('ZADD', key('timers'), n2s(due), 'stream|' .. id)
  end
end

if op == 'open' then
  redis.call('ZADD', replicas, n2s(NOW + grace), replica)
  for _, id in ipairs(agents) do
    if redis.call('EXISTS', key('agent', id)) == 1 then
      redis.call('SADD', key('agent', id, 'desktops'), replica)
      redis.call('SADD', key('stream-replica', replica), id)
      redis.call('ZREM', key('timers'), 'stream|' .. id)
    end
  end
  return reply({more = false})
elseif op == 'close' then
  for _, id in ipairs(agents) do
    redis.call('SREM', key('stream-replica', replica), id)
    let_go(replica, id, NOW + grace)
  end
  return reply({more = false})
end

redis.call('ZADD', replicas, n2s(NOW + grace), replica)
local budget = 500
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', replicas, '-inf', '(' .. NOW_S, 'LIMIT', 0, 10)) do
  local held = key('stream-replica', dead)
  local ids = redis.call('SPOP', held, budget)
  for _, id in ipairs(ids) do
    let_go(dead, id, NOW)
  end
  budget = budget - #ids
  if redis.call('SCARD', held) == 0 then
    redis.call('ZREM', replicas, dead)
  end
  if budget <= 0 then
    return reply({more = true})
  end
end
return reply({more = false})
