/**
 * Tables of the embedded store. Domain objects live whole in a JSON `data` column;
 * the other columns are copies of the fields that queries filter or sort on, plus the
 * mutable delivery state of journal entries and outbox items.
 *
 * Both queues mark one "head" per conversation (its oldest waiting item), so a claim
 * reads only claimable heads instead of walking every waiting entry.
 *
 * Every index is a page written per commit that touches it (WAL frames are the cost
 * of a step), so the hot tables carry only the indexes a claim or lookup needs;
 * owner reports scan. Partial indexes keep hot rows out of the rarely-read ones.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
-- inbound journal ------------------------------------------------------------
-- every journal key ever accepted (pruned after the platforms' retry window)
CREATE TABLE IF NOT EXISTS seen (
  key TEXT PRIMARY KEY,
  at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_at ON seen(at);

-- waiting ('pending', claimed or not) and parked ('dead') entries; done ones are
-- deleted. The id ends in the seq ("in_…-<seq36>"), so it needs no index of its own.
CREATE TABLE IF NOT EXISTS journal (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL,
  conversation_key TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  enqueued_at      INTEGER NOT NULL,
  claimed_by       TEXT,
  claimed_until    INTEGER,
  error            TEXT,
  event            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_live ON journal(conversation_key, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS journal_dead ON journal(seq) WHERE status = 'dead';

-- the oldest pending entry of each conversation, by its seq; claimed_until mirrors
-- the entry's lease
CREATE TABLE IF NOT EXISTS journal_heads (
  seq              INTEGER PRIMARY KEY,
  conversation_key TEXT NOT NULL,
  claimed_until    INTEGER
);

-- contacts -------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS contacts (
  id            TEXT PRIMARY KEY,
  phone         TEXT,
  referral_code TEXT,
  referred_by   TEXT,
  audience      TEXT NOT NULL,
  source        TEXT,
  balance       REAL NOT NULL,
  merged_into   TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  data          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_phone ON contacts(phone) WHERE phone IS NOT NULL;
CREATE INDEX IF NOT EXISTS contacts_referral ON contacts(referral_code);
CREATE INDEX IF NOT EXISTS contacts_referred_by ON contacts(referred_by) WHERE referred_by IS NOT NULL;
-- the funnel's join from stage_entries reads only these: no visit to the row (and its JSON)
CREATE INDEX IF NOT EXISTS contacts_funnel ON contacts(id, merged_into, audience, source);

CREATE TABLE IF NOT EXISTS identities (
  channel    TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  PRIMARY KEY (channel, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_contact ON identities(contact_id);

-- first time each contact reached each stage (earliest wins)
CREATE TABLE IF NOT EXISTS stage_entries (
  contact_id TEXT NOT NULL,
  stage      TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (contact_id, stage)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stage_entries_at ON stage_entries(at);

-- conversations ----------------------------------------------------------------
CREATE TABLE IF NOT EXISTS conversations (
  key        TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL,
  flow       TEXT NOT NULL,
  step       TEXT,
  in_handoff INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_contact ON conversations(contact_id);
CREATE INDEX IF NOT EXISTS conversations_handoff ON conversations(updated_at) WHERE in_handoff = 1;
-- drop-off and the funnel's "where they stopped" (stepCounts) read conversations by step from this alone
CREATE INDEX IF NOT EXISTS conversations_steps ON conversations(in_handoff, flow, step, updated_at, contact_id);

-- one row per named timer of a conversation; fired once its event is journalled
CREATE TABLE IF NOT EXISTS timers (
  conversation_key TEXT NOT NULL,
  name             TEXT NOT NULL,
  at               INTEGER NOT NULL,
  token            TEXT NOT NULL,
  channel          TEXT NOT NULL,
  chat_id          TEXT NOT NULL,
  fired            INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (conversation_key, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_due ON timers(at) WHERE fired = 0;

-- touchpoints (append-only) and orders -------------------------------------------
CREATE TABLE IF NOT EXISTS touchpoints (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  contact_id TEXT NOT NULL,
  at         INTEGER NOT NULL,
  data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS touchpoints_contact ON touchpoints(contact_id, at);

CREATE TABLE IF NOT EXISTS orders (
  id         TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_contact ON orders(contact_id, created_at);
CREATE INDEX IF NOT EXISTS orders_status ON orders(status, created_at);
CREATE INDEX IF NOT EXISTS orders_created ON orders(created_at);

-- outbox -----------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS outbox (
  rid              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  conversation_key TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  channel          TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL,
  not_before       INTEGER NOT NULL,
  claimed_until    INTEGER,
  -- set on the conversation's head only: max(not_before, claimed_until)
  ready_at         INTEGER,
  last_error       TEXT,
  platform_ids     TEXT,
  delivery_status  TEXT,
  sent_at          INTEGER,
  data             TEXT NOT NULL,
  -- two items may not share a place in a chat's order
  UNIQUE (conversation_key, seq)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(conversation_key, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_ready ON outbox(ready_at) WHERE ready_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_held ON outbox(rid) WHERE status = 'held';
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox(rid) WHERE status = 'dead';
-- sent items by the time sent: listing and retention (pruneSent) read it in that order
CREATE INDEX IF NOT EXISTS outbox_sent ON outbox(sent_at, rid) WHERE status = 'sent';

CREATE TABLE IF NOT EXISTS outbox_platform_ids (
  channel     TEXT NOT NULL,
  platform_id TEXT NOT NULL,
  outbox_rid  INTEGER NOT NULL,
  PRIMARY KEY (channel, platform_id)
) WITHOUT ROWID;
`;
