-- The gas of every transaction that emitted a ledger event, from its
-- receipt: what a query cost its researcher, owners, operator and anyone
-- who finalised or disputed it. Keyed like the events, by block hash, so
-- a reorg's other version of a block is another row; rolled back with
-- them (block_number above the common ancestor).
CREATE TABLE transactions (
    block_hash          BYTEA NOT NULL,
    tx_hash             BYTEA NOT NULL,
    block_number        BIGINT NOT NULL,
    sender              BYTEA NOT NULL,
    gas_used            NUMERIC(20,0) NOT NULL,
    effective_gas_price NUMERIC(78,0) NOT NULL,
    PRIMARY KEY (block_hash, tx_hash)
);
CREATE INDEX transactions_block ON transactions (block_number);
