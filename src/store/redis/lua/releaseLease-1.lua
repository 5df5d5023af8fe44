--[[
  Gives a lease back: deleted only if the caller still holds it (a lease that expired and was taken
  by another holder stays theirs).

  KEYS[1]  the lease key
  ARGV[1]  holder

  Returns {'ok', 1} when it was released, {'ok', 0} when the caller did not hold it
]]

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'ok', 1}
end
return {'ok', 0}
