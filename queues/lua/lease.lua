-- lease: take or renew a named lease for owner, so that one replica at a time
-- does a job that must stay in order (delivering a subscriber's events).
-- A: name, owner, ttl_ms, release (give the lease up: a replica that stops)
-- Returns held (true when owner holds the lease, false when another does).
local k = key('lease', A.name)
local holder = redis.call('GET', k)
if A.release then
  if holder == A.owner then
    redis.call('DEL', k)
  end
  return reply({held = false})
end
if not holder or holder == A.owner then
  redis.call('SET', k, A.owner, 'PX', n2s(A.ttl_ms))
  return reply({held = true})
end
return reply({held = false})
