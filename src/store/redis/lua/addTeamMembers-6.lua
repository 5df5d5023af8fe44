--[[
  Adds member ids to a team as a set delta (never read-modify-write). Appends the audit event only
  when at least one id was added.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     team record (must exist)
  KEYS[5]     ZSET of the team's member ids, scored by ordinal of addition
  KEYS[6]     per-org ordinal counter
  KEYS[7..]   the reverse ZSET (member -> team ids) of each id in ARGV[7..], in the same order
  ARGV[1..5]  audit arguments
  ARGV[6]     team id
  ARGV[7..]   member ids, without duplicates

  Returns {'ok', <added id>...} | {'head_moved'} | {'team_not_found'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'team_not_found'} end
local result = {'ok'}
for i = 7, #ARGV do
  local member = ARGV[i]
  if not redis.call('ZSCORE', KEYS[5], member) then
    local ord = redis.call('INCR', KEYS[6])
    redis.call('ZADD', KEYS[5], ord, member)
    redis.call('ZADD', KEYS[i], ord, ARGV[6])
    result[#result + 1] = member
  end
end
if #result > 1 then appendAudit() end
return result
