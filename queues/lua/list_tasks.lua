-- list_tasks: a page of tasks, newest first, read from one index (a sorted
-- set by creation time) and filtered by the fields of each task; it never
-- scans the keyspace, and looks at no more than budget entries a call, so a
-- rare filter pages on with a cursor instead of running long.
-- A: index (all, queue, agent or customer) and of (the queue, agent or
--   customer), from_ms, to_ms (creation range,
--   inclusive), cursor_ms and cursor_id (where the last page ended; 0 and '':
--   from the newest), limit, budget, state, channel, queue, agent (filters,
--   '' for any)
-- Returns ids (the page), next_ms and next_id (where to go on; next_ms 0:
-- nothing more).
local idx = key('tasks')
if A.index == 'queue' then
  idx = key('tasks', 'queue', A.of)
elseif A.index == 'agent' then
  idx = key('tasks', 'agent', A.of)
elseif A.index == 'customer' then
  idx = key('customer', A.of, 'timeline')
end
local top = A.to_ms
if A.cursor_ms > 0 then
  top = math.min(top, A.cursor_ms)
end
local ids, seen = {}, 0
local last_ms, last_id = 0, ''
local offset = 0
local done = false
while not done and #ids < A.limit and seen < A.budget do
  local batch = redis.call('ZREVRANGEBYSCORE', idx, n2s(top), n2s(A.from_ms), 'WITHSCORES', 'LIMIT', offset, 100)
  if #batch == 0 then
    done = true
    break
  end
  offset = offset + #batch / 2
  for i = 1, #batch, 2 do
    local id, ms = batch[i], tonumber(batch[i + 1])
    -- Entries at the cursor's own time come in reverse order of id: those
    -- not after the cursor were on an earlier page.
    if not (A.cursor_ms > 0 and ms == A.cursor_ms and id >= A.cursor_id) then
      seen = seen + 1
      local f = redis.call('HMGET', key('task', id), 'state', 'channel', 'queue', 'agent')
      if f[1] and (A.state == '' or f[1] == A.state) and (A.channel == '' or f[2] == A.channel) and
        (A.queue == '' or f[3] == A.queue) and (A.agent == '' or f[4] == A.agent) then
        ids[#ids + 1] = id
      end
      last_ms, last_id = ms, id
      if #ids >= A.limit or seen >= A.budget then
        -- Stopped at the batch's last entry: is there anything after it?
        -- (Then a full last page says so, instead of a cursor to an empty one.)
        if i == #batch - 1 and #redis.call('ZREVRANGEBYSCORE', idx, n2s(top), n2s(A.from_ms), 'LIMIT', offset, 1) == 0 then
          done = true
        end
        break
      end
    end
  end
end
if done then
  last_ms = 0
end
if #ids == 0 then
  ids = nil -- cjson would write an empty table as {}
end
return reply({ids = ids, next_ms = n2s(last_ms), next_id = last_id})
