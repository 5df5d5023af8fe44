--[[
  Compare-and-swap of one JSON record without an audit event: bookkeeping nobody audits (a
  connection's sync state and health, a reconcile run).

  KEYS[1]  the record
  ARGV[1]  the record's JSON as the caller read it
  ARGV[2]  the next JSON

  Returns {'ok'} | {'conflict'} (the record changed or is gone: re-read)
]]

if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'conflict'} end
redis.call('SET', KEYS[1], ARGV[2])
return {'ok'}
