-- ARGV: P, conversationKey, identity, maxHops, ordersLimit (see loadTurn)
return loadTurn(nx(), nx(), tonumber(nx()), tonumber(nx()))
