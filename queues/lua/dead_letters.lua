-- dead_letters: replay or delete a subscriber's dead letters, all of them or
-- those of one event. Replayed letters move to the subscriber's replay list,
-- which its deliverer sends before new events.
-- A: subscriber, op (replay, delete), event ('' for all)
-- Returns moved (the letters replayed or deleted).
local dead = key('webhook', A.subscriber, 'dead')
local replay = key('webhook', A.subscriber, 'replay')
local letters = redis.call('LRANGE', dead, 0, -1)
local keep, moved = {}, 0
for _, l in ipairs(letters) do
  local ok, d = pcall(cjson.decode, l)
  local id = ok and type(d) == 'table' and type(d.event) == 'table' and d.event.id or nil
  if A.event == '' or id == A.event then
    moved = moved + 1
    if A.op == 'replay' then
      redis.call('RPUSH', replay, l)
    end
  else
    keep[#keep + 1] = l
  end
end
if moved > 0 then
  redis.call('DEL', dead)
  for i = 1, #keep, 1000 do
    redis.call('RPUSH', dead, unpack(keep, i, math.min(i + 999, #keep)))
  end
end
return reply({moved = moved})
