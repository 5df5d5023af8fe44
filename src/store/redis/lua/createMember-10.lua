--[[
  Creates a member: record, creation order, status/role index, live userName, active owners and the
  lookup indexes (externalId, emails, upstream identities), with its audit event. userName
  uniqueness among non-removed members is decided here, atomically.

  KEYS[1..3]  audit chain of the event (see includes/appendAudit.lua)
  KEYS[4]     org record (must exist)
  KEYS[5]     member record
  KEYS[6]     ZSET of all members by ordinal
  KEYS[7]     ZSET of members with the new member's status and role
  KEYS[8]     HASH userNameKey -> member id
  KEYS[9]     SET of active owner ids
  KEYS[10]    per-org ordinal counter
  KEYS[11..]  lookup index ZSETs to join (externalId, emails, identities); none for a removed member
  ARGV[1..5]  audit arguments
  ARGV[6]     member id
  ARGV[7]     member JSON
  ARGV[8]     userNameKey, or '' for a removed member (not indexed)
  ARGV[9]     '1' when the member is an active owner

  Returns {'ok'} | {'head_moved'} | {'org_not_found'} | {'exists'} | {'user_name_taken'}
]]
--@include appendAudit

if auditHeadMoved() then return {'head_moved'} end
if redis.call('EXISTS', KEYS[4]) == 0 then return {'org_not_found'} end
if redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
local id = ARGV[6]
if ARGV[8] ~= '' and redis.call('HEXISTS', KEYS[8], ARGV[8]) == 1 then return {'user_name_taken'} end

local ord = redis.call('INCR', KEYS[10])
redis.call('SET', KEYS[5], ARGV[7])
redis.call('ZADD', KEYS[6], ord, id)
redis.call('ZADD', KEYS[7], ord, id)
if ARGV[8] ~= '' then redis.call('HSET', KEYS[8], ARGV[8], id) end
if ARGV[9] == '1' then redis.call('SADD', KEYS[9], id) end
for i = 11, #KEYS do redis.call('ZADD', KEYS[i], ord, id) end
appendAudit()
return {'ok'}
