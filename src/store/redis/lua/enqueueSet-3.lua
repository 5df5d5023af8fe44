--[[
  Queues one signed SET for a Shared Signals stream, once per jti.

  KEYS[1]  the SET record (JSON)
  KEYS[2]  ZSET of the stream's queued jtis, by queue order
  KEYS[3]  the stream's queue ordinal counter
  ARGV[1]  jti
  ARGV[2]  SET record JSON

  Returns {'ok', 1} when queued, {'ok', 0} when the stream already had this jti
]]

if redis.call('EXISTS', KEYS[1]) == 1 then return {'ok', 0} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
return {'ok', 1}
