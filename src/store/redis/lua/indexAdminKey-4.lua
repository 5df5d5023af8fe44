--[[
  Writes the global entries of an admin key: hash -> key, id -> scope and the creation order.
  Idempotent for the same key; refuses a hash or id that belongs to another key. Runs before
  createAdminKey-6 (a different hash tag); every lookup through these entries checks that the key's
  record exists.

  KEYS[1]  global admin key ordinal counter
  KEYS[2]  ZSET of all admin key ids by ordinal
  KEYS[3]  HASH key hash -> reference JSON ({scope, id})
  KEYS[4]  HASH key id -> scope
  ARGV[1]  key id
  ARGV[2]  key hash
  ARGV[3]  reference JSON
  ARGV[4]  scope (org id or the provider scope)

  Returns {'ok', <ordinal>} | {'hash_taken'} | {'id_taken'}
]]

local byHash = redis.call('HGET', KEYS[3], ARGV[2])
if byHash and byHash ~= ARGV[3] then return {'hash_taken'} end
local byId = redis.call('HGET', KEYS[4], ARGV[1])
if byId and byId ~= ARGV[4] then return {'id_taken'} end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
local ord = redis.call('ZSCORE', KEYS[2], ARGV[1])
if ord then return {'ok', tonumber(ord)} end
ord = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ord, ARGV[1])
return {'ok', ord}
