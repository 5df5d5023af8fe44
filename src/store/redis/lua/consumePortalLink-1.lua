--[[
  Consumes a one-time portal link: exactly one caller marks it used; a used or expired one is
  reported as such and left unchanged.

  KEYS[1]  the link hash (fields data, exp, used)
  ARGV[1]  now, epoch ms

  Returns {'consumed', data, now} | {'used', data, usedAt} | {'expired', data} | {'not_found'}
]]

local f = redis.call('HMGET', KEYS[1], 'data', 'exp', 'used')
if not f[1] then return {'not_found'} end
if f[3] then return {'used', f[1], f[3]} end
if tonumber(ARGV[1]) >= tonumber(f[2]) then return {'expired', f[1]} end
redis.call('HSET', KEYS[1], 'used', ARGV[1])
return {'consumed', f[1], ARGV[1]}
