--[[
  Gives an org id its place in the global, creation-ordered org list. Idempotent: an id that is
  already listed keeps its ordinal. Runs before createOrg-4 (a different hash tag); listOrgs skips
  ids whose record does not exist.

  KEYS[1]  global org ordinal counter
  KEYS[2]  ZSET of org ids by ordinal
  ARGV[1]  org id

  Returns {'ok', <ordinal>}
]]

local ord = redis.call('ZSCORE', KEYS[2], ARGV[1])
if ord then return {'ok', tonumber(ord)} end
ord = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ord, ARGV[1])
return {'ok', ord}
