--[[
  Deletes a team, its name, its membership set and the reverse (member -> teams) entries, with its
  audit event. The caller passes the membership it read; if the set no longer matches, nothing is
  written and the caller re-reads.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     team record
  KEYS[5]     ZSET of all teams by ordinal
  KEYS[6]     HASH teamNameKey -> team id
  KEYS[7]     ZSET of the team's member ids
  KEYS[8..]   the reverse ZSET (member -> team ids) of each member in ARGV[9..], in the same order
  ARGV[1..5]  audit arguments
  ARGV[6]     team id
  ARGV[7]     the team JSON as the caller read it
  ARGV[8]     the team's teamNameKey
  ARGV[9..]   the team's member ids as the caller read them

  Returns {'ok'} | {'head_moved'} | {'conflict'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('GET', KEYS[4]) ~= ARGV[7] then return {'conflict'} end
local id = ARGV[6]
if redis.call('ZCARD', KEYS[7]) ~= #ARGV - 8 then return {'conflict'} end
for i = 9, #ARGV do
  if not redis.call('ZSCORE', KEYS[7], ARGV[i]) then return {'conflict'} end
end
redis.call('DEL', KEYS[4], KEYS[7])
redis.call('ZREM', KEYS[5], id)
if redis.call('HGET', KEYS[6], ARGV[8]) == id then redis.call('HDEL', KEYS[6], ARGV[8]) end
for i = 8, #KEYS do redis.call('ZREM', KEYS[i], id) end
appendAudit()
return {'ok'}
