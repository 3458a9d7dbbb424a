-- Strand's mirror of its programs' events.
--
-- `events` is the decoded stream, one row per log, keyed by the log's
-- natural identity (block hash, log index): a replay cannot duplicate it.
-- The projections below it are current state folded from that stream.
-- Mutable projections carry `updated_block`; inside the reorg window an
-- AFTER trigger records each row's previous version in `undo_log`, so a
-- reorg rolls them back exactly, in one transaction, with the events.
-- Amounts are NUMERIC(78,0) (any uint256); ids and times NUMERIC(20,0)
-- (any uint64); no floats.

CREATE TABLE checkpoint (
    id          BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    chain_id    NUMERIC(20,0) NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash  BYTEA NOT NULL
);

-- Canonical blocks of the reorg window, to check each new block's parent.
CREATE TABLE blocks (
    number      BIGINT PRIMARY KEY,
    hash        BYTEA NOT NULL,
    parent_hash BYTEA NOT NULL
);

CREATE TABLE events (
    block_hash   BYTEA NOT NULL,
    log_index    BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    block_time   NUMERIC(20,0),
    tx_hash      BYTEA NOT NULL,
    program      TEXT NOT NULL,
    address      BYTEA NOT NULL,
    name         TEXT NOT NULL,
    args         JSONB NOT NULL,
    PRIMARY KEY (block_hash, log_index)
);
CREATE INDEX events_block ON events (block_number, log_index);
CREATE INDEX events_name ON events (name, block_number);

CREATE TABLE datasets (
    id             NUMERIC(20,0) PRIMARY KEY,
    owner          BYTEA NOT NULL,
    operator       BYTEA NOT NULL,
    commitment     BYTEA NOT NULL,
    active         BOOLEAN NOT NULL,
    deactivated_at NUMERIC(20,0),
    updated_block  BIGINT NOT NULL
);
CREATE INDEX datasets_owner ON datasets (owner);

CREATE TABLE queries (
    id                 NUMERIC(20,0) PRIMARY KEY,
    researcher         BYTEA NOT NULL,
    operator           BYTEA NOT NULL,
    spec_hash          BYTEA NOT NULL,
    spec               BYTEA NOT NULL,
    purpose            TEXT NOT NULL,
    reward_per_consent NUMERIC(78,0) NOT NULL,
    max_consents       BIGINT NOT NULL,
    min_consents       BIGINT NOT NULL,
    consent_deadline   NUMERIC(20,0) NOT NULL,
    result_deadline    NUMERIC(20,0) NOT NULL,
    researcher_key     BYTEA NOT NULL,
    escrow             NUMERIC(78,0) NOT NULL,
    operator_fee       NUMERIC(78,0) NOT NULL,
    protocol_fee       NUMERIC(78,0) NOT NULL,
    state              TEXT NOT NULL,
    approvals          BIGINT NOT NULL DEFAULT 0,
    consents_used      BIGINT,
    result_commitment  BYTEA,
    encrypted_answer   BYTEA,
    challenge_deadline NUMERIC(20,0),
    owners_pool        NUMERIC(78,0),
    refund             NUMERIC(78,0),
    owners_paid        NUMERIC(78,0) NOT NULL DEFAULT 0,
    submitted_block    BIGINT NOT NULL,
    submit_tx          BYTEA NOT NULL,
    updated_block      BIGINT NOT NULL
);
CREATE INDEX queries_operator ON queries (operator);
CREATE INDEX queries_researcher ON queries (researcher);

CREATE TABLE consents (
    query         NUMERIC(20,0) NOT NULL,
    dataset       NUMERIC(20,0) NOT NULL,
    owner         BYTEA NOT NULL,
    decision      TEXT NOT NULL,
    decided_at    NUMERIC(20,0) NOT NULL,
    reward_paid   NUMERIC(78,0),
    updated_block BIGINT NOT NULL,
    PRIMARY KEY (query, dataset)
);
CREATE INDEX consents_owner ON consents (owner);

CREATE TABLE disputes (
    query                NUMERIC(20,0) PRIMARY KEY,
    challenger           BYTEA NOT NULL,
    bond                 NUMERIC(78,0) NOT NULL,
    arbitration_deadline NUMERIC(20,0) NOT NULL,
    outcome              TEXT NOT NULL,
    arbiter              BYTEA,
    slashed              NUMERIC(78,0),
    refund               NUMERIC(78,0),
    updated_block        BIGINT NOT NULL
);

CREATE TABLE operators (
    address           BYTEA PRIMARY KEY,
    stake             NUMERIC(78,0) NOT NULL DEFAULT 0,
    unbonding         NUMERIC(78,0) NOT NULL DEFAULT 0,
    release_at        NUMERIC(20,0),
    jailed            BOOLEAN NOT NULL DEFAULT FALSE,
    emissions_claimed NUMERIC(78,0) NOT NULL DEFAULT 0,
    slashed_total     NUMERIC(78,0) NOT NULL DEFAULT 0,
    updated_block     BIGINT NOT NULL
);

CREATE TABLE balances (
    address       BYTEA PRIMARY KEY,
    balance       NUMERIC(78,0) NOT NULL,
    updated_block BIGINT NOT NULL
);

-- Histories are views over the stream, so they roll back with it.
CREATE VIEW consent_history AS
    SELECT (args->>'query')::NUMERIC AS query, (args->>'dataset')::NUMERIC AS dataset,
           args->>'owner' AS owner, (args->>'decision')::SMALLINT AS decision,
           (args->>'at')::NUMERIC AS at, block_number, tx_hash, log_index
    FROM events WHERE name = 'ConsentDecided';
CREATE VIEW transfers AS
    SELECT args->>'from' AS "from", args->>'to' AS "to", (args->>'value')::NUMERIC AS value,
           block_number, tx_hash, log_index
    FROM events WHERE program = 'gene' AND name = 'Transfer';
CREATE VIEW claims AS
    SELECT (args->>'query')::NUMERIC AS query, (args->>'dataset')::NUMERIC AS dataset,
           args->>'owner' AS owner, (args->>'amount')::NUMERIC AS amount, block_number, tx_hash
    FROM events WHERE name = 'RewardClaimed';
CREATE VIEW slashes AS
    SELECT args->>'operator' AS operator, args, block_number, tx_hash
    FROM events WHERE name = 'Slashed';

-- Undo log: the version of a projection row before a change made inside
-- the reorg window (op I: the row was inserted; U: it was updated).
CREATE TABLE undo_log (
    id           BIGSERIAL PRIMARY KEY,
    block_number BIGINT NOT NULL,
    tbl          TEXT NOT NULL,
    op           CHAR(1) NOT NULL,
    row_before   JSONB,
    row_after    JSONB NOT NULL
);
CREATE INDEX undo_log_block ON undo_log (block_number);

CREATE FUNCTION record_undo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('strand.undo', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO undo_log (block_number, tbl, op, row_before, row_after)
    VALUES (NEW.updated_block, TG_TABLE_NAME, left(TG_OP, 1),
            CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END, to_jsonb(NEW));
    RETURN NULL;
END $$;

CREATE TRIGGER datasets_undo AFTER INSERT OR UPDATE ON datasets FOR EACH ROW EXECUTE FUNCTION record_undo();
CREATE TRIGGER queries_undo AFTER INSERT OR UPDATE ON queries FOR EACH ROW EXECUTE FUNCTION record_undo();
CREATE TRIGGER consents_undo AFTER INSERT OR UPDATE ON consents FOR EACH ROW EXECUTE FUNCTION record_undo();
CREATE TRIGGER disputes_undo AFTER INSERT OR UPDATE ON disputes FOR EACH ROW EXECUTE FUNCTION record_undo();
CREATE TRIGGER operators_undo AFTER INSERT OR UPDATE ON operators FOR EACH ROW EXECUTE FUNCTION record_undo();
CREATE TRIGGER balances_undo AFTER INSERT OR UPDATE ON balances FOR EACH ROW EXECUTE FUNCTION record_undo();

-- Undoes every projection change above `ancestor`, newest first: an
-- inserted row is deleted, an updated row gets its previous version back.
CREATE FUNCTION roll_back_projections(ancestor BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    cond TEXT;
    n BIGINT := 0;
BEGIN
    FOR r IN SELECT * FROM undo_log WHERE block_number > ancestor ORDER BY id DESC LOOP
        SELECT string_agg(format('%I = (jsonb_populate_record(NULL::%I, $1)).%I', a.attname, r.tbl, a.attname), ' AND ')
          INTO cond
          FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indrelid = r.tbl::regclass AND i.indisprimary;
        EXECUTE format('DELETE FROM %I WHERE %s', r.tbl, cond) USING r.row_after;
        IF r.op = 'U' THEN
            EXECUTE format('INSERT INTO %I SELECT (jsonb_populate_record(NULL::%I, $1)).*', r.tbl, r.tbl)
              USING r.row_before;
        END IF;
        n := n + 1;
    END LOOP;
    DELETE FROM undo_log WHERE block_number > ancestor;
    RETURN n;
END $$;
