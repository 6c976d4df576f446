-- upsert_agent: create or replace an agent's profile and eligibility.
-- ARGV[ARG..ARG+4]: id, profile json, queues json [{q,p,s}], caps json {ch: n}, blocks json [ch]
-- Returns {"ok", created (0|1), offers made}.
local id = ARGV[ARG]
local k = key('agent', id)
local old = load_agent(id)
local created = 0
if old then
  unlist_agent(old)
else
  created = 1
  redis.call('HSET', k, 'presence', 'offline', 'reason', '', 'presence_at', n2s(NOW),
    'idle_since', n2s(NOW), 'missed', 0)
  redis.call('SADD', key('agents'), id)
  redis.call('SADD', key('presence', 'offline'), id)
end
redis.call('HSET', k, 'profile', ARGV[ARG + 1], 'queues', ARGV[ARG + 2],
  'caps', ARGV[ARG + 3], 'blocks', ARGV[ARG + 4])
local a = load_agent(id)
for _, e in ipairs(a.qs) do
  if not e.b then
    redis.call('SADD', key('q', e.q, 'agents'), id)
  end
end
refresh_agent(a)
local made = route_agent(a)
local typ = 'agent.updated'
if created == 1 then
  typ = 'agent.created'
end
emit(typ, {'agent', id})
return {'ok', created, made}
