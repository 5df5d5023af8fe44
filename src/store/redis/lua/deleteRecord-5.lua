--[[
  Compare-and-delete of one JSON record of an org and its entry in the creation-ordered set (a
  directory connection, a webhook endpoint, a role mapping), with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     the record
  KEYS[5]     ZSET of the org's records of this kind
  ARGV[1..5]  audit arguments
  ARGV[6]     record id
  ARGV[7]     the record JSON as the caller read it

  Returns {'ok'} | {'head_moved'} | {'conflict'} (the record changed or is gone: re-read)
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[6])
appendAudit()
return {'ok'}
