-- upsert_agents: apply a whole import of agent profiles at once, so that a
-- bulk change is never half applied.
-- A: agents, a list of what upsert_agent takes
-- Returns created, updated, offers (made).
local created, updated, made = 0, 0, 0
for _, a in ipairs(A.agents) do
  local c, m = upsert_agent(a.id, a.profile, a.queues, a.caps, a.blocks)
  created, updated, made = created + c, updated + 1 - c, made + m
end
return reply({created = created, updated = updated, offers = made})
