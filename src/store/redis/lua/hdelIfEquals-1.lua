--[[
  Deletes a hash field only if it still holds the given value (compensates the SCIM token hash
  index after createScimToken-8 refused the token for certain).

  KEYS[1]  the hash
  ARGV[1]  field
  ARGV[2]  expected value

  Returns {'ok', 1} when deleted, else {'ok', 0}
]]

if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return {'ok', redis.call('HDEL', KEYS[1], ARGV[1])} end
return {'ok', 0}
