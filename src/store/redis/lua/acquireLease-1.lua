--[[
  Takes a lease for scheduled work (one replica runs each reconcile tick): free, expired (the key is
  gone) or already ours -> set to us with the TTL.

  KEYS[1]  the lease key
  ARGV[1]  holder
  ARGV[2]  TTL in milliseconds

  Returns {'ok', 1} when the caller holds the lease, {'ok', 0} when another holder has it
]]

local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'ok', 1}
end
return {'ok', 0}
