-- touch_streams: agents' desktops are connected (or just closed their last
-- connection): each agent's stream timer moves to at least until. A replica
-- renews this for its connected agents well within the grace period, so the
-- timer fires only when no replica has held a connection for that long.
-- ARGV[ARG]: until, ms; ARGV[ARG+1..]: agent ids
-- Returns {"ok"}.
local till = tonumber(ARGV[ARG])
for i = ARG + 1, #ARGV do
  -- A deleted agent's desktop may still be connected somewhere: no timer.
  if redis.call('EXISTS', key('agent', ARGV[i])) == 1 then
    local m = 'stream|' .. ARGV[i]
    local cur = redis.call('ZSCORE', key('timers'), m)
    if not cur or tonumber(cur) < till then
      redis.call('ZADD', key('timers'), n2s(till), m)
    end
  end
end
return {'ok'}
