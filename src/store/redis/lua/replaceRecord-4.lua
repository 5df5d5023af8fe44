--[[
  Compare-and-swap of one JSON record (an org update, an admin key revocation) with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     the record
  ARGV[1..5]  audit arguments
  ARGV[6]     the record's JSON as the caller read it
  ARGV[7]     the next JSON

  Returns {'ok'} | {'head_moved'} | {'conflict'} (the record changed or is gone: re-read)
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[6] then return {'conflict'} end
redis.call('SET', KEYS[4], ARGV[7])
appendAudit()
return {'ok'}
