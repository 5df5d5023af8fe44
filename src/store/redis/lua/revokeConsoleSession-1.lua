--[[
  Signs a console session out: a live one is marked revoked (touch then finds nothing).

  KEYS[1]  the session hash
  ARGV[1]  now, epoch ms

  Returns {'ok', 1} when a live session was revoked, {'ok', 0} otherwise
]]

local f = redis.call('HMGET', KEYS[1], 'exp', 'idle', 'revoked')
if not f[1] or f[3] then return {'ok', 0} end
local now = tonumber(ARGV[1])
if now >= tonumber(f[1]) or now >= tonumber(f[2]) then return {'ok', 0} end
redis.call('HSET', KEYS[1], 'revoked', ARGV[1])
return {'ok', 1}
