--[[
  Writes the global entries of a directory connection: id -> org and the creation order across
  orgs. Idempotent for the same connection; refuses an id that belongs to another org. Runs before
  createRecord-7 (a different hash tag); every read through these entries checks the record.

  KEYS[1]  global connection ordinal counter
  KEYS[2]  ZSET of all connection ids by ordinal
  KEYS[3]  HASH connection id -> org id
  ARGV[1]  connection id
  ARGV[2]  org id

  Returns {'ok', <ordinal>} | {'id_taken'}
]]

local owner = redis.call('HGET', KEYS[3], ARGV[1])
if owner and owner ~= ARGV[2] then return {'id_taken'} end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local ord = redis.call('ZSCORE', KEYS[2], ARGV[1])
if ord then return {'ok', tonumber(ord)} end
ord = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ord, ARGV[1])
return {'ok', ord}
