-- reject_offer: the agent declines an open offer. The task goes back to its
-- queue keeping its age, is routed to another agent, and skips this agent for
-- the re-offer delay; the agent's freed capacity is routed (second event).
-- A: offer (id), as_agent (the agent the caller acts for, '' for any)
-- Returns task, offers (made).
local t, refused = open_offer(A.offer, A.as_agent)
if not t then
  return refused
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
return reply({task = t.id, offers = made})
