--[[
  Creates an admin key record in its scope (an org, or the provider scope), with its audit event.
  The global indexes (hash, id, creation order) are written before this script runs by
  indexAdminKey-4 (see credentials.ts: lookups only trust them when this record exists).

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record of the scope (must exist when ARGV[9] is '1')
  KEYS[5]     admin key record
  KEYS[6]     ZSET of the scope's admin key ids by global ordinal
  ARGV[1..5]  audit arguments
  ARGV[6]     key id
  ARGV[7]     key JSON
  ARGV[8]     global ordinal of the key (from indexAdminKey-4)
  ARGV[9]     '1' when the scope is an org that must exist

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if ARGV[9] == '1' and redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ARGV[8], ARGV[6])
appendAudit()
return {'ok'}
