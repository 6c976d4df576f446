-- set_presence: an agent's presence changes (offline, available, away, acw).
-- A: agent (id), presence, reason
-- Returns offers (made).
local a = load_agent(A.agent)
if not a then
  return {'agent_not_found', A.agent}
end
return reply({offers = set_presence(a, A.presence, A.reason)})
