//! Crash safety of the `strand-indexer` binary. Stock anvil with a log
//! emitter at the programs' addresses holds a few thousand events in a few
//! hundred blocks, spread over some 2,500 blocks so that a backfill takes
//! more than one log range (the first is 2,000 blocks). The real binary
//! indexes that chain and is killed with SIGKILL: while the migrator holds
//! its lock, inside the first batch's transaction, inside the next one
//! after a commit, at random moments of the backfill, and then, while it
//! follows a head that keeps growing, inside a batch and at random moments;
//! after each kill it is started again. After every kill no event lies
//! above the checkpoint. Once it has caught up, its database holds every
//! emitted event exactly once and equals, table by table, a clean index of
//! the same chain made in one uninterrupted run. Kill moments and the
//! chain's layout come from a seeded generator: the seed is printed, and
//! `STRAND_CRASH_SEED` replays the layout (timing varies). Skipped, with
//! one line, without PostgreSQL or stock anvil.

mod common;

use std::{
    collections::BTreeMap,
    fs::File,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::U256,
    providers::{DynProvider, Provider},
};
use common::{catch_up, config, manifest, mine_block, place_emitters, story};
use sqlx::{postgres::PgPoolOptions, PgPool};
use strand_e2e::{database, StockAnvil};
use strand_indexer::{store::Store, sync::Indexer};

/// Story steps in each block that carries events (about 16 events).
const STEPS_PER_BLOCK: u64 = 4;
/// Blocks with events on the chain before the indexer first starts.
const BACKFILL_BLOCKS: u64 = 200;
/// Kills before the backfill is done.
const BACKFILL_KILLS: usize = 5;
/// Kills while following the head.
const LIVE_KILLS: usize = 5;
/// The reorg window the binary runs with (its default).
const WINDOW: u64 = 64;
/// Longest wait for the indexer to reach a state.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_killed_at_random_points_equals_a_clean_index() {
    let test = "an_index_killed_at_random_points_equals_a_clean_index";
    let clock = Instant::now();
    let Some(anvil) = StockAnvil::start(test).unwrap() else { return };
    let Some(url) = database("crash_killed").await.unwrap() else { return };
    let Some(clean_url) = database("crash_clean").await.unwrap() else { return };
    let seed = std::env::var("STRAND_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64);
    eprintln!("crash test seed {seed} (STRAND_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);

    let p = anvil.provider(0).unwrap();
    place_emitters(&p).await;
    let mut chain = Chain { p: p.clone(), step: 1, events: 0, rng: Rng(rng.next()) };
    // Gaps of 11.5 empty blocks on average: anvil mines an empty block
    // more slowly the longer its chain, so a longer one costs minutes.
    for _ in 0..BACKFILL_BLOCKS {
        let gap = chain.rng.below(24);
        chain.grow(gap).await;
    }
    let height = p.get_block_number().await.unwrap();
    eprintln!("[{:.1?}] chain: {} events up to block {height}", clock.elapsed(), chain.events);

    let db = PgPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
    let mut run = Runner::new(&anvil.url, &url, db.clone(), rng);
    run.kill_backfill().await;
    let chain = run.kill_following(chain).await;
    let head = p.get_block_number().await.unwrap();
    eprintln!(
        "[{:.1?}] {} kills; caught up with block {head} ({} events)",
        clock.elapsed(),
        BACKFILL_KILLS + LIVE_KILLS,
        chain.events
    );

    // A clean index of the same chain, in one uninterrupted run.
    let clean = Store::open(&clean_url).await.unwrap();
    let mut fresh =
        Indexer::new(clean.clone(), p.clone(), &manifest(), config(WINDOW)).await.unwrap();
    catch_up(&mut fresh).await;
    assert_same_index(&db, clean.pool(), head, chain.events).await;
    eprintln!("[{:.1?}] killed and clean indexes agree", clock.elapsed());
    run.remove();
}

/// SplitMix64: a seeded generator for kill moments and the chain's layout.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn millis(&mut self, below: u64) -> Duration {
        Duration::from_millis(self.below(below))
    }
}

/// The chain under test and how many events it holds.
struct Chain {
    p: DynProvider,
    step: u64,
    events: u64,
    rng: Rng,
}

impl Chain {
    /// Mines a block of [`STEPS_PER_BLOCK`] story steps, then `gap` empty
    /// blocks.
    async fn grow(&mut self, gap: u64) {
        let steps = self.step..self.step + STEPS_PER_BLOCK;
        let events: Vec<_> = steps.flat_map(|s| story(s, 0)).collect();
        self.step += STEPS_PER_BLOCK;
        self.events += events.len() as u64;
        mine_block(&self.p, events).await;
        if gap > 0 {
            self.p.raw_request::<_, ()>("anvil_mine".into(), (U256::from(gap),)).await.unwrap();
        }
    }

    /// Grows the chain block by block until `stop` is set: mostly short
    /// gaps, now and then one longer than the reorg window, so that a
    /// restart may find itself backfilling again. Ends on a few blocks
    /// with events, so that the undo logs hold some.
    async fn mine_until(mut self, stop: Arc<AtomicBool>) -> Self {
        while !stop.load(Ordering::Relaxed) {
            let gap = if self.rng.below(30) == 0 { WINDOW + 16 } else { self.rng.below(3) };
            self.grow(gap).await;
            // Pacing, so that the indexer is near the head some of the time.
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        for _ in 0..3 {
            self.grow(0).await;
        }
        self
    }
}

/// Starts and kills the binary, and watches its database.
struct Runner {
    rpc_url: String,
    database_url: String,
    dir: PathBuf,
    db: PgPool,
    rng: Rng,
}

impl Runner {
    fn new(rpc_url: &str, database_url: &str, db: PgPool, rng: Rng) -> Self {
        let dir = std::env::temp_dir().join(format!("strand-crash-{}", std::process::id()));
        manifest().write(&dir.join("manifest.json")).unwrap();
        File::create(dir.join("indexer.log")).unwrap();
        Self { rpc_url: rpc_url.into(), database_url: database_url.into(), dir, db, rng }
    }

    /// Kills the indexer on an empty database while the migrator holds
    /// its lock; then inside the first batch's transaction; then inside
    /// the transaction after the first commit; then at random moments
    /// until [`BACKFILL_KILLS`].
    async fn kill_backfill(&mut self) {
        let mut indexer = self.start().await;
        let locked = "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                       WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database())";
        let db = &self.db;
        self.poll(&mut indexer, "the migrator's lock", || async move {
            sqlx::query_scalar::<_, bool>(locked).fetch_one(db).await.unwrap()
        })
        .await;
        self.kill(indexer, "backfill 1, migrator locked").await;
        let schema: bool = sqlx::query_scalar("SELECT to_regclass('checkpoint') IS NOT NULL")
            .fetch_one(db)
            .await
            .unwrap();
        eprintln!("  schema committed before the kill: {schema}");

        for (kill, after_commit) in [(2, false), (3, true)] {
            let mut indexer = self.start().await;
            let (since, before) = (indexer.since.clone(), checkpoint(db).await);
            self.poll(&mut indexer, "a batch's transaction", || async {
                (!after_commit || checkpoint(db).await != before) && storing(db, &since).await
            })
            .await;
            let what = if after_commit { "batch after a commit open" } else { "batch open" };
            self.kill(indexer, &format!("backfill {kill}, {what}")).await;
        }

        for kill in 4..=BACKFILL_KILLS {
            let indexer = self.start().await;
            let delay = self.rng.millis(2_500);
            tokio::time::sleep(delay).await;
            self.kill(indexer, &format!("backfill {kill}, {delay:?} after start")).await;
        }
    }

    /// Grows `chain` while the indexer follows it, killing the indexer
    /// near the head: first inside a batch, then at random moments, with a
    /// random pause before each restart. Then stops the chain and waits
    /// for the index to reach its head.
    async fn kill_following(&mut self, chain: Chain) -> Chain {
        let stop = Arc::new(AtomicBool::new(false));
        let miner = tokio::spawn(chain.mine_until(stop.clone()));
        let mut indexer = self.start().await;
        for kill in 1..=LIVE_KILLS {
            self.wait_until(&mut indexer, |cp, head| cp + WINDOW >= head).await;
            let what = if kill == 1 {
                let since = indexer.since.clone();
                self.poll(&mut indexer, "a batch's transaction", || storing(&self.db, &since))
                    .await;
                "batch open".to_string()
            } else {
                let delay = self.rng.millis(1_000);
                tokio::time::sleep(delay).await;
                format!("{delay:?} after reaching the head")
            };
            self.kill(indexer, &format!("following {kill}, {what}")).await;
            tokio::time::sleep(self.rng.millis(500)).await;
            indexer = self.start().await;
        }
        stop.store(true, Ordering::Relaxed);
        let chain = miner.await.unwrap();
        let head = chain.p.get_block_number().await.unwrap();
        self.wait_until(&mut indexer, |cp, _| cp == head).await;
        self.kill(indexer, "caught up").await;
        chain
    }

    fn log(&self) -> PathBuf {
        self.dir.join("indexer.log")
    }

    /// Starts `strand-indexer`, its output appended to the log.
    async fn start(&self) -> Process {
        let since: String =
            sqlx::query_scalar("SELECT now()::TEXT").fetch_one(&self.db).await.unwrap();
        let log = File::options().append(true).open(self.log()).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_strand-indexer"))
            .arg("--manifest")
            .arg(self.dir.join("manifest.json"))
            .args(["--rpc-url", &self.rpc_url, "--database-url", &self.database_url])
            .args(["--listen", "127.0.0.1:0", "--poll-ms", "20"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        Process { child, since }
    }

    /// SIGKILL, as a crash or the OOM killer would: no shutdown code runs.
    /// Then checks that nothing of an unfinished batch is visible: no
    /// event lies above the checkpoint.
    async fn kill(&self, mut indexer: Process, what: &str) {
        self.assert_running(&mut indexer);
        let inside = storing(&self.db, &indexer.since).await;
        drop(indexer);
        let above = "SELECT count(*) FROM events
                     WHERE block_number > COALESCE((SELECT block_number FROM checkpoint), -1)";
        let schema: bool = sqlx::query_scalar("SELECT to_regclass('events') IS NOT NULL")
            .fetch_one(&self.db)
            .await
            .unwrap();
        if schema {
            let n: i64 = sqlx::query_scalar(above).fetch_one(&self.db).await.unwrap();
            assert_eq!(n, 0, "after the kill ({what}), events above the checkpoint");
        }
        let cp = checkpoint(&self.db).await;
        let inside = if inside { "inside a batch" } else { "outside a batch" };
        eprintln!("kill ({what}): {inside}, checkpoint {cp:?}");
    }

    /// Polls `ready` every millisecond; fails after [`PATIENCE`] or if the
    /// indexer exits.
    async fn poll<F: std::future::Future<Output = bool>>(
        &self,
        indexer: &mut Process,
        what: &str,
        mut ready: impl FnMut() -> F,
    ) {
        let start = Instant::now();
        while !ready().await {
            self.assert_running(indexer);
            assert!(start.elapsed() < PATIENCE, "never saw {what}: {}", self.tail());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Polls until `done(checkpoint, head)` holds; fails after
    /// [`PATIENCE`] or if the indexer exits.
    async fn wait_until(&self, indexer: &mut Process, done: impl Fn(u64, u64) -> bool) {
        let node = alloy::providers::ProviderBuilder::new()
            .connect_http(self.rpc_url.parse().unwrap())
            .erased();
        let start = Instant::now();
        loop {
            self.assert_running(indexer);
            let head = node.get_block_number().await.unwrap();
            if checkpoint(&self.db).await.is_some_and(|cp| done(cp, head)) {
                return;
            }
            assert!(start.elapsed() < PATIENCE, "the index fell behind: {}", self.tail());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn assert_running(&self, indexer: &mut Process) {
        if let Some(status) = indexer.child.try_wait().unwrap() {
            panic!("the indexer exited by itself ({status}): {}", self.tail());
        }
    }

    /// The end of the log, for failure messages.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("{}:\n{}", self.log().display(), lines[lines.len().saturating_sub(30)..].join("\n"))
    }

    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One run of the binary, killed when dropped.
struct Process {
    child: Child,
    /// The database's clock when it started.
    since: String,
}

/// Whether a connection opened since `since` (the database's clock) has
/// a batch's transaction open: one that has written, once the schema has
/// committed (the migrator's transaction shows as `COMMIT` while it
/// commits).
async fn storing(db: &PgPool, since: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
           AND pid <> pg_backend_pid() AND backend_start >= $1::TIMESTAMPTZ
           AND backend_xid IS NOT NULL AND query NOT LIKE '%_sqlx_migrations%')
         AND to_regclass('checkpoint') IS NOT NULL",
    )
    .bind(since)
    .fetch_one(db)
    .await
    .unwrap()
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The indexed block, or `None` before the first batch (or the schema).
async fn checkpoint(db: &PgPool) -> Option<u64> {
    match sqlx::query_scalar::<_, i64>("SELECT block_number FROM checkpoint")
        .fetch_optional(db)
        .await
    {
        Ok(n) => n.map(|n| n as u64),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => None,
        Err(e) => panic!("cannot read the checkpoint: {e}"),
    }
}

/// Fails unless `killed` holds the `events` emitted up to block `head`,
/// each once, and agrees with `clean` on every table.
async fn assert_same_index(killed: &PgPool, clean: &PgPool, head: u64, events: u64) {
    assert_eq!(checkpoint(clean).await, Some(head));
    assert_eq!(checkpoint(killed).await, Some(head));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(killed).await.unwrap();
    assert_eq!(stored as u64, events, "events stored against events emitted");
    let twice: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT block_number, log_index, count(*) FROM events
         GROUP BY block_number, log_index HAVING count(*) > 1",
    )
    .fetch_all(killed)
    .await
    .unwrap();
    assert!(twice.is_empty(), "events stored twice (block, log index, copies): {twice:?}");
    // The window's blocks depend on the checkpoint alone: both runs indexed
    // each block above `head - WINDOW` near the head and kept that block
    // too, as the end of a backfill or as a block near the head.
    for table in [
        "events",
        "transactions",
        "datasets",
        "queries",
        "consents",
        "disputes",
        "operators",
        "balances",
        "checkpoint",
        "blocks",
    ] {
        let all = format!("SELECT to_jsonb(t)::TEXT FROM {table} t");
        assert_same_rows(table, &rows(killed, &all).await, &rows(clean, &all).await);
    }
    // Undo versions exist for blocks indexed near the head, and are pruned
    // below the window. The clean run backfilled block `head - WINDOW`,
    // which the killed one may have indexed near the head; above it, the
    // two undo logs must agree entry for entry, in order, but for the ids.
    let floor = head - WINDOW;
    let pruned = format!("SELECT id::TEXT FROM undo_log WHERE block_number < {floor}");
    assert_eq!(rows(killed, &pruned).await, Vec::<String>::new(), "undo_log below {floor}");
    let undo = format!(
        "SELECT (to_jsonb(u) - 'id')::TEXT FROM undo_log u WHERE block_number > {floor} ORDER BY id"
    );
    let (k, c) = (rows(killed, &undo).await, rows(clean, &undo).await);
    assert!(!c.is_empty(), "the clean index kept no undo versions");
    assert!(
        k == c,
        "undo_log differs above block {floor}: {} against {} entries",
        k.len(),
        c.len()
    );
}

async fn rows(db: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(db).await.unwrap()
}

/// How many times each row occurs.
fn count(rows: &[String]) -> BTreeMap<&str, usize> {
    let mut n = BTreeMap::new();
    for r in rows {
        *n.entry(r.as_str()).or_default() += 1;
    }
    n
}

/// Fails on a row stored twice, a row of `clean` missing from `killed`, or
/// a row `killed` has that `clean` has not.
fn assert_same_rows(table: &str, killed: &[String], clean: &[String]) {
    let (k, c) = (count(killed), count(clean));
    let twice: Vec<_> = k.iter().filter(|(_, &n)| n > 1).take(3).collect();
    assert!(twice.is_empty(), "{table}: rows stored more than once: {twice:?}");
    let missing: Vec<_> = c.keys().filter(|r| !k.contains_key(*r)).collect();
    let extra: Vec<_> = k.keys().filter(|r| !c.contains_key(*r)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{table}: {} rows missing, {} extra; first missing {:?}, first extra {:?}",
        missing.len(),
        extra.len(),
        missing.first(),
        extra.first()
    );
    assert_eq!(killed.len(), clean.len(), "{table}: row count");
    assert!(!clean.is_empty() || table == "disputes", "{table}: the clean index is empty");
}
