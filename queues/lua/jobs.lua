-- jobs: background jobs of a workspace (simulations, simulated coverage),
-- bounded in number. A running job is leased by the replica that runs it: it
-- renews the lease with each progress report; a job whose lease ran out (its
-- replica stopped) is marked failed and frees its slot.
-- A: op (start, progress, finish, cancel), id, and per op:
--   start: kind, owner, max (running jobs at most), lease_ms, input (JSON)
--   progress: progress (0..1), lease_ms        -> cancel (whether a cancel was asked)
--   finish: state (done, failed, canceled), result (JSON), error, ttl_ms
--   cancel: (nothing)                          -> state
-- Returns state, cancel, running (the jobs running, for a refused start).
local running = key('jobs-running')
local k = key('job', A.id)
-- Jobs whose replica stopped.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', running, '-inf', n2s(NOW - 1))) do
  redis.call('ZREM', running, id)
  local jk = key('job', id)
  if redis.call('HGET', jk, 'state') == 'running' then
    redis.call('HSET', jk, 'state', 'failed', 'error', 'the replica running it stopped', 'ended_at', NOW_S)
    redis.call('PEXPIRE', jk, 86400000)
  end
end
if A.op == 'start' then
  local n = redis.call('ZCARD', running)
  if n >= A.max then
    return {'too_many_jobs', tostring(n)}
  end
  redis.call('HSET', k, 'kind', A.kind, 'state', 'running', 'owner', A.owner, 'progress', '0',
    'created_at', NOW_S, 'input', A.input)
  redis.call('ZADD', running, n2s(NOW + A.lease_ms), A.id)
  return reply({state = 'running', cancel = false, running = n + 1})
end
local st = redis.call('HGET', k, 'state')
if not st then
  return {'job_not_found', A.id}
end
if A.op == 'progress' then
  if st ~= 'running' then
    return reply({state = st, cancel = true, running = 0})
  end
  redis.call('HSET', k, 'progress', tostring(A.progress))
  redis.call('ZADD', running, n2s(NOW + A.lease_ms), A.id)
  return reply({state = st, cancel = redis.call('HGET', k, 'cancel') == '1', running = 0})
elseif A.op == 'finish' then
  redis.call('ZREM', running, A.id)
  if st == 'running' then
    redis.call('HSET', k, 'state', A.state, 'result', A.result, 'error', A.error, 'ended_at', NOW_S)
    if A.state == 'done' then
      redis.call('HSET', k, 'progress', '1')
    end
  end
  redis.call('PEXPIRE', k, n2s(A.ttl_ms))
  return reply({state = redis.call('HGET', k, 'state'), cancel = false, running = 0})
elseif A.op == 'cancel' then
  if st == 'running' then
    redis.call('HSET', k, 'cancel', '1')
  end
  return reply({state = st, cancel = st == 'running', running = 0})
end
return {'invalid', 'op ' .. tostring(A.op)}
