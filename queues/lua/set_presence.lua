-- set_presence: an agent's presence changes (offline, available, away, acw).
-- ARGV[ARG..ARG+1]: id, presence, reason
-- Returns {"ok", offers made}.
local a = load_agent(ARGV[ARG])
if not a then
  return {'agent_not_found', ARGV[ARG]}
end
return {'ok', set_presence(a, ARGV[ARG + 1], ARGV[ARG + 2])}
