-- upsert_agent: create or replace an agent's profile and eligibility.
-- A: id, profile, queues ([{q,p,s,b,e}]), caps ({channel: n}), blocks ([channel]), auto (answers
--   offers automatically: assigned at once),
--   each JSON text, stored as given
-- Returns {"ok", created (0|1), offers made}.
local created, made = upsert_agent(A.id, A.profile, A.queues, A.caps, A.blocks, A.auto)
return reply({created = created == 1, offers = made})
