-- upsert_agents: apply a whole import of agent profiles at once, so that a
-- bulk change is never half applied. An entry with expect (a resync) applies
-- only if the agent exists and its stored profile is still exactly expect:
-- a change made since it was read, or a delete, wins.
-- A: agents, a list of what upsert_agent takes, with expect (optional)
-- Returns created, updated, skipped, offers (made).
local created, updated, skipped, made = 0, 0, 0, 0
for _, a in ipairs(A.agents) do
  if a.expect ~= nil and redis.call('HGET', key('agent', a.id), 'profile') ~= a.expect then
    skipped = skipped + 1
  else
    local c, m = upsert_agent(a.id, a.profile, a.queues, a.caps, a.blocks, a.auto)
    created, updated, made = created + c, updated + 1 - c, made + m
  end
end
return reply({created = created, updated = updated, skipped = skipped, offers = made})
