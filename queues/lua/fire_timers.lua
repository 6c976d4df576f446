-- fire_timers: claim and apply due timers in one atomic step, so each fires
-- exactly once whatever the number of replicas, and none is lost if a replica
-- stops (a timer stays in the set until the script that applies it runs).
-- A: limit (at most this many timers)
-- Returns {"ok", fired, offer timeouts, wrap-ups ended, reroutes, offers made,
--   next due ms (-1 when none), SLA timers applied, escalation steps applied,
--   agents set away because their desktop disconnected}.
local due = redis.call('ZRANGEBYSCORE', key('timers'), '-inf', NOW_S, 'LIMIT', 0, A.limit)
local timeouts, wraps, reroutes, made, slas, escs, disconnects = 0, 0, 0, 0, 0, 0, 0
for _, m in ipairs(due) do
  redis.call('ZREM', key('timers'), m)
  local kind, id = string.match(m, '^(%a+)|(.+)$')
  if kind == 'offer' then
    local t = load_task(string.match(id, '^(.+)%.%d+$'))
    if t and t.state == 'reserved' and t.offer == id then
      timeouts = timeouts + 1
      local a = load_agent(t.agent)
      requeue(t, a, 'timeout')
      if route_task(t) then
        made = made + 1
      end
      if a then
        local missed = tonumber(a.missed or '0') + 1
        aset(a, 'missed', missed)
        if missed >= MAX_MISSED and a.presence == 'available' then
          made = made + set_presence(a, 'away', 'missed offers')
        else
          made = made + route_agent(a)
        end
      end
    end
  elseif kind == 'wrap' then
    local t = load_task(id)
    if t and t.state == 'wrapping' then
      wraps = wraps + 1
      made = made + finish(t, load_agent(t.agent))
    end
  elseif kind == 'sla' then
    local applied, offers = fire_sla(id)
    slas, made = slas + applied, made + offers
  elseif kind == 'esc' then
    local tid, i = string.match(id, '^(.+)|(%d+)$')
    local t = load_task(tid)
    -- A task being offered escalates too: if the offer fails, it goes back
    -- to its queues with the step applied.
    if t and (t.state == 'queued' or t.state == 'reserved') then
      escs = escs + 1
      made = made + apply_step(t, tonumber(i))
    end
  elseif kind == 'shift' then
    local a = load_agent(id)
    if a then
      local _, offers = apply_shift(a)
      made = made + offers
    end
  elseif kind == 'stream' then
    -- The agent's last desktop connection closed (or its replica stopped
    -- renewing it) a grace period ago: the agent is away, and offers ringing
    -- on a desktop nobody sees go to others now.
    local a = load_agent(id)
    if a and a.presence ~= 'offline' and a.presence ~= 'away'
        and redis.call('SCARD', key('agent', id, 'desktops')) == 0 then
      disconnects = disconnects + 1
      made = made + set_presence(a, 'away', 'disconnected')
    end
  elseif kind == 'start' then
    local t = load_task(id)
    if t and t.state == 'scheduled' then
      reroutes = reroutes + 1
      tset(t, 'state', 'queued', 'started_at', NOW_S)
      emit('task.started', with(task_fields(t), 'kind', t.kind or ''))
      if start_task(t, t.fr_due_at, t.fr_warn_at) then
        made = made + 1
      end
    end
  elseif kind == 'route' then
    local t = load_task(id)
    if t and t.state == 'queued' then
      reroutes = reroutes + 1
      if route_task(t) then
        made = made + 1
      end
    end
  end
end
local nxt = redis.call('ZRANGE', key('timers'), 0, 0, 'WITHSCORES')
local next_due = -1
if #nxt > 0 then
  next_due = tonumber(nxt[2])
end
return reply({timers = #due, offer_timeouts = timeouts, wrap_ups_ended = wraps, reroutes = reroutes,
  offers = made, next_due = n2s(next_due), sla = slas, escalations = escs, disconnects = disconnects})
