--[[
  Creates a reconcile run of an existing directory connection (no audit event: runs are their own
  record). The global run id -> org entry is written before this script runs.

  KEYS[1]  the connection's record (must exist)
  KEYS[2]  run record
  KEYS[3]  ZSET of the connection's run ids by ordinal
  KEYS[4]  per-org ordinal counter
  ARGV[1]  run id
  ARGV[2]  run JSON

  Returns {'ok'} | {'connection_not_found'} | {'exists'}
]]

if redis.call('EXISTS', KEYS[1]) == 0 then return {'connection_not_found'} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
local ord = redis.call('INCR', KEYS[4])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ord, ARGV[1])
return {'ok'}
