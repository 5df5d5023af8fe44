--[[
  Compensates indexConnection-3 after the org's script refused the connection for certain (the org
  does not exist; never after an unknown outcome). Removes only entries that still point at that org.

  KEYS[1]  ZSET of all connection ids by ordinal
  KEYS[2]  HASH connection id -> org id
  ARGV[1]  connection id
  ARGV[2]  org id

  Returns {'ok', <entries removed>}
]]

local n = 0
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  n = n + redis.call('HDEL', KEYS[2], ARGV[1])
  n = n + redis.call('ZREM', KEYS[1], ARGV[1])
end
return {'ok', n}
