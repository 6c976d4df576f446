-- reject_offer: the agent declines an open offer. The task goes back to its
-- queue keeping its age, is routed to another agent, and skips this agent for
-- the re-offer delay; the agent's freed capacity is routed (second event).
-- ARGV[ARG..ARG+1]: offer id, agent the caller acts for ('' for any)
-- Returns {"ok", task id, offers made}.
local offer, expect = ARGV[ARG], ARGV[ARG + 1]
local t = load_task(string.match(offer, '^(.+)%.%d+$'))
if not t then
  return {'offer_not_found', offer}
end
if t.offer ~= offer or t.state ~= 'reserved' then
  return {'offer_closed', offer}
end
if expect ~= '' and expect ~= t.agent then
  return {'forbidden', 'the offer is for another agent'}
end
local a = load_agent(t.agent)
requeue(t, a, 'rejected')
local made = 0
if route_task(t) then
  made = 1
end
if a then
  made = made + route_agent(a)
end
return {'ok', t.id, made}
