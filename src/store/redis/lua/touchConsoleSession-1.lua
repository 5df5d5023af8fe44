--[[
  Uses a console session: live (not revoked, before its idle and absolute expiry) -> last seen now,
  idle expiry moved to now + idle (capped at the absolute expiry), key expiry moved with it.

  KEYS[1]  the session hash (fields data, exp, idle, seen, revoked)
  ARGV[1]  now, epoch ms
  ARGV[2]  idle timeout, ms
  ARGV[3]  grace kept after expiry before Redis forgets the key, ms

  Returns {'ok', data, seen, idle} for a live session, {'gone'} otherwise
]]

local f = redis.call('HMGET', KEYS[1], 'data', 'exp', 'idle', 'revoked')
if not f[1] then return {'gone'} end
local now = tonumber(ARGV[1])
local exp = tonumber(f[2])
if f[4] or now >= exp or now >= tonumber(f[3]) then return {'gone'} end
local idle = math.min(now + tonumber(ARGV[2]), exp)
redis.call('HSET', KEYS[1], 'seen', ARGV[1], 'idle', tostring(idle))
redis.call('PEXPIRE', KEYS[1], idle - now + tonumber(ARGV[3]))
return {'ok', f[1], ARGV[1], tostring(idle)}
