-- The deployment this database indexes: the programs' addresses, written
-- once by the first indexer to open it. An indexer started with another
-- manifest is refused instead of mixing two deployments in one index.
CREATE TABLE deployment (
    id       BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    chain_id NUMERIC(20,0) NOT NULL,
    programs JSONB NOT NULL
);
