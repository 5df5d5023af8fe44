--[[
  Creates a console session or a portal link: a hash that must not exist yet, with its fields and
  an expiry after which Redis forgets it.

  KEYS[1]  the record's key
  ARGV[1]  time to live in milliseconds
  ARGV[2..] field, value, field, value, ...

  Returns {'ok'} when created, {'exists'} when the key is taken
]]

if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {'ok'}
