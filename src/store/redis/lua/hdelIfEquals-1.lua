--[[
  Deletes a hash field only if it still holds the given value: compensates a global entry written
  before an org's script that then refused for certain (a SCIM token hash, an invitation or invite
  link token hash, a run id), and drops the entry of a token hash that a rotation replaced.

  KEYS[1]  the hash
  ARGV[1]  field
  ARGV[2]  expected value

  Returns {'ok', 1} when deleted, else {'ok', 0}
]]

if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return {'ok', redis.call('HDEL', KEYS[1], ARGV[1])} end
return {'ok', 0}
