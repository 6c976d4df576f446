-- lease: take or renew a named lease for owner, so that one replica at a time
-- does a job that must stay in order (delivering a subscriber's events).
-- ARGV[ARG..]: lease name, owner, ttl ms
-- Returns {"ok", 1} when owner holds the lease, {"ok", 0} when another does.
local k = key('lease', ARGV[ARG])
local holder = redis.call('GET', k)
if not holder or holder == ARGV[ARG + 1] then
  redis.call('SET', k, ARGV[ARG + 1], 'PX', ARGV[ARG + 2])
  return {'ok', 1}
end
return {'ok', 0}
