--[[
  Creates an organization record and appends its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record
  ARGV[1..5]  audit arguments
  ARGV[6]     org JSON

  Returns {'ok'} | {'head_moved'} | {'exists'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'exists'} end
redis.call('SET', KEYS[4], ARGV[6])
appendAudit()
return {'ok'}
