-- upsert_agent: create or replace an agent's profile and eligibility.
-- ARGV[ARG..ARG+4]: id, profile json, queues json [{q,p,s,b}], caps json {ch: n}, blocks json [ch]
-- Returns {"ok", created (0|1), offers made}.
local created, made = upsert_agent(ARGV[ARG], ARGV[ARG + 1], ARGV[ARG + 2], ARGV[ARG + 3], ARGV[ARG + 4])
return {'ok', created, made}
