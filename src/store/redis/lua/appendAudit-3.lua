--[[
  Appends an audit event (and its outbox record) that goes with no other change.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  ARGV[1..5]  audit arguments (see includes/appendAudit.lua)

  Returns {'ok'} | {'head_moved'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
appendAudit()
return {'ok'}
