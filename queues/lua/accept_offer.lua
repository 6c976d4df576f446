-- accept_offer: the agent accepts an open offer; the task becomes assigned.
-- A: offer (id), as_agent (the agent the caller acts for, '' for any),
--   connect (calls from the provider must be put through to the agent)
-- A provider call is answered only once it is put through: the accept queues
-- that hand-off, and the first response is met when it succeeds.
-- Returns task, agent, queue, channel, wait_ms (created to accepted),
-- handoff (the hand-off to run, '' for none).
local offer = A.offer
local t, refused = open_offer(offer, A.as_agent)
if not t then
  return refused
end
if NOW >= tonumber(t.deadline) then
  return {'offer_expired', offer}
end
local wait, handoff = assign(t, A.connect)
return reply({task = t.id, agent = t.agent, queue = t.queue, channel = t.channel, wait_ms = wait, handoff = handoff})
