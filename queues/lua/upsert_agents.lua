-- upsert_agents: apply a whole import of agent profiles at once, so that a
-- bulk change is never half applied.
-- ARGV[ARG]: json [[id, profile json, queues json, caps json, blocks json], ...]
-- Returns {"ok", created, updated, offers made}.
local created, updated, made = 0, 0, 0
for _, a in ipairs(cjson.decode(ARGV[ARG])) do
  local c, m = upsert_agent(a[1], a[2], a[3], a[4], a[5])
  created, updated, made = created + c, updated + 1 - c, made + m
end
return {'ok', created, updated, made}
