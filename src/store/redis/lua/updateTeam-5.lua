--[[
  Compare-and-swap update of a team and its name index, with its audit event.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     team record
  KEYS[5]     HASH teamNameKey -> team id
  ARGV[1..5]  audit arguments
  ARGV[6]     team id
  ARGV[7]     the team JSON as the caller read it
  ARGV[8]     the next team JSON
  ARGV[9]     current teamNameKey
  ARGV[10]    next teamNameKey

  Returns {'ok'} | {'head_moved'} | {'conflict'} | {'name_taken'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
local id = ARGV[6]
local holder = redis.call('HGET', KEYS[5], ARGV[10])
if holder and holder ~= id then return {'name_taken'} end
redis.call('SET', KEYS[4], ARGV[8])
if redis.call('HGET', KEYS[5], ARGV[9]) == id then redis.call('HDEL', KEYS[5], ARGV[9]) end
redis.call('HSET', KEYS[5], ARGV[10], id)
appendAudit()
return {'ok'}
