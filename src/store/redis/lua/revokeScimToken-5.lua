--[[
  Compare-and-swap revocation of a SCIM token, with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     token record
  KEYS[5]     SET of the org's unrevoked token ids
  ARGV[1..5]  audit arguments
  ARGV[6]     token id
  ARGV[7]     the token JSON as the caller read it
  ARGV[8]     the revoked token JSON

  Returns {'ok'} | {'head_moved'} | {'conflict'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
redis.call('SET', KEYS[4], ARGV[8])
redis.call('SREM', KEYS[5], ARGV[6])
appendAudit()
return {'ok'}
