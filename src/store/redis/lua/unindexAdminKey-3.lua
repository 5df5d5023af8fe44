--[[
  Compensates indexAdminKey-4 after createAdminKey-6 refused the key for certain (never after an
  unknown outcome). Removes only entries that still point at this key.

  KEYS[1]  ZSET of all admin key ids by ordinal
  KEYS[2]  HASH key hash -> reference JSON
  KEYS[3]  HASH key id -> scope
  ARGV[1]  key id
  ARGV[2]  key hash
  ARGV[3]  reference JSON
  ARGV[4]  scope

  Returns {'ok', <entries removed>}
]]

local n = 0
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[3] then n = n + redis.call('HDEL', KEYS[2], ARGV[2]) end
if redis.call('HGET', KEYS[3], ARGV[1]) == ARGV[4] then
  n = n + redis.call('HDEL', KEYS[3], ARGV[1])
  n = n + redis.call('ZREM', KEYS[1], ARGV[1])
end
return {'ok', n}
