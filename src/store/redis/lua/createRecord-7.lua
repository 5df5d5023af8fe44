--[[
  Creates one JSON record of an org that is listed in one creation-ordered set (an invite link, a
  webhook endpoint, a directory connection, a role mapping), with its audit event. The provider
  scope (the operator's webhook endpoints) has no org record: ARGV[9] '0' skips that check.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist unless ARGV[9] is '0')
  KEYS[5]     the record
  KEYS[6]     ZSET of the org's records of this kind, by ordinal
  KEYS[7]     per-org ordinal counter (used when ARGV[8] is '')
  ARGV[1..5]  audit arguments
  ARGV[6]     record id
  ARGV[7]     record JSON
  ARGV[8]     the ordinal to list it under (a global one), or '' to take the org's next
  ARGV[9]     '0' for the provider scope (no org record to check); absent or '1': an org that must exist

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if ARGV[9] ~= '0' and redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
local ord = ARGV[8]
if ord == '' then ord = redis.call('INCR', KEYS[7]) end
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ord, ARGV[6])
appendAudit()
return {'ok'}
